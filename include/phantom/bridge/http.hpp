// SPDX-License-Identifier: MIT
// HTTP/1.1 for a forwarding proxy: request and response heads, targets, framing, hop-by-hop.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::bridge {

/// Bounds on what a client may send before the bridge answers 431 (RFC 6585 §5).
struct HttpLimits {
    std::size_t max_head_bytes = 32 * 1024;
    std::size_t max_headers = 100;
};

/// Why a message cannot be handled: the status to answer (400, 431, 501, 502 …) and a short
/// reason for the body and the log.
struct HttpFailure {
    int status = 400;
    std::string reason;
};

/// What HttpResult::value() throws on a failure: phantom::Error with the reason.
[[noreturn]] void throw_exception_from_error(const HttpFailure& failure,
                                             const boost::source_location& location);

template <class T>
using HttpResult = boost::system::result<T, HttpFailure>;

struct Header {
    std::string name;
    std::string value;
};

/// A parsed request line and header section. `target` is as sent (authority-form for
/// CONNECT, absolute-form for a proxy request).
struct RequestHead {
    std::string method;
    std::string target;
    int minor_version = 1; ///< HTTP/1.minor
    std::vector<Header> headers;

    /// The first header named `name` (case-insensitive), or nullptr.
    [[nodiscard]] const std::string* find(std::string_view name) const;
};

/// A parsed status line and header section from the upstream server.
struct ResponseHead {
    int minor_version = 1;
    int status = 0;
    std::string reason;
    std::vector<Header> headers;

    [[nodiscard]] const std::string* find(std::string_view name) const;
};

/// Bytes up to and including the blank line that ends a head ("\r\n\r\n"), or nullopt
/// while it has not arrived.
std::optional<std::size_t> head_length(std::string_view buffered);

/// True when the head being received (up to its end, or all of `buffered` while it has not
/// ended) has a line ending in a bare LF: it can be refused before the rest arrives.
bool has_bare_line_feed(std::string_view buffered);

/// Parses a request head (including its final CRLF CRLF). Strict where leniency enables
/// request smuggling (RFC 9112 §2.2, §5): CRLF line ends only, no whitespace before a colon,
/// no obsolete line folding, token characters in the method and names. 431 past the limits.
HttpResult<RequestHead> parse_request_head(std::string_view head, const HttpLimits& limits = {});

/// Parses a response head from the upstream server (same strictness; 502 when malformed).
HttpResult<ResponseHead> parse_response_head(std::string_view head, const HttpLimits& limits = {});

/// Where to connect: a host name, an IPv4 literal, or an IPv6 literal (without brackets).
struct Target {
    enum class Kind { name, ipv4, ipv6 };
    std::string host;
    std::uint16_t port = 0;
    Kind kind = Kind::name;

    /// "host:port", brackets around an IPv6 literal: for logs, error bodies and Host.
    [[nodiscard]] std::string to_string() const;
};

/// The authority-form of CONNECT (RFC 9110 §9.3.6): host:port, port required, IPv6 in
/// brackets, no userinfo.
HttpResult<Target> parse_connect_target(std::string_view target);

/// An absolute-form request target (RFC 9112 §3.2.2) split into where to connect and the
/// origin-form to send there ("/path?query", at least "/"). Only http:// — an https:// URL
/// sent to a proxy would need the proxy to speak TLS itself, which the bridge never does.
struct ProxyTarget {
    Target target;
    std::string origin_form;
};
HttpResult<ProxyTarget> parse_absolute_target(std::string_view target);

/// True when `head` carries `Proxy-Authorization: Basic base64(user:password)` for exactly
/// these credentials (scheme case-insensitive, compared in constant time).
bool proxy_authorized(const RequestHead& head, std::string_view user, std::string_view password);

/// How a message body is delimited (RFC 9112 §6.3).
struct Framing {
    enum class Kind { none, length, chunked, until_close };
    Kind kind = Kind::none;
    std::uint64_t length = 0;
};

/// The request body's framing. Refuses (400) both Content-Length and Transfer-Encoding,
/// conflicting or malformed lengths, and a transfer coding that does not end in chunked;
/// 501 for an unknown coding.
HttpResult<Framing> request_framing(const RequestHead& head);

/// The response body's framing, given the request method (HEAD has no body).
HttpResult<Framing> response_framing(const ResponseHead& head, std::string_view request_method);

/// Whether the client wants the connection kept after this exchange (RFC 9112 §9.3).
bool client_keeps_alive(const RequestHead& head);

/// The head to send upstream for a proxy request: origin-form, Host from the target,
/// hop-by-hop fields removed (RFC 9110 §7.6.1: Connection and what it names, Proxy-*,
/// Keep-Alive, TE, Upgrade) and `Connection: close` (one upstream connection per request).
std::string upstream_request_head(const RequestHead& head, const ProxyTarget& target);

/// The response head to send the client: hop-by-hop fields removed, `Connection: close`
/// when `close`, else `keep-alive` for HTTP/1.0 clients that asked for it. For an HTTP/1.0
/// client Transfer-Encoding is left out too: it cannot decode chunked, so the bridge sends
/// the body decoded (BodyTracker's payload) and closes (`close` must then be true).
std::string client_response_head(const ResponseHead& head, bool close, int client_minor_version);

/// True when an HTTP/1.0 client can be given this response's body: no transfer coding but
/// chunked, which the bridge removes (RFC 9112 §7: a coding the recipient does not know
/// cannot be sent to it, and 1.0 knows none).
bool codings_for_http10(const ResponseHead& head);

/// A complete response generated by the bridge itself (errors, 407): text/plain body,
/// `Connection: close`, and `Proxy-Authenticate: Basic realm="phantom"` for 407.
std::string bridge_response(int status, std::string_view body);

/// The standard reason phrase for the statuses the bridge produces.
std::string_view reason_phrase(int status);

/// Follows a body through its framing without changing a byte: says how much of the next
/// data belongs to the body and when it ends. Chunked: size lines with extensions, data,
/// trailers; malformed chunks make it fail.
class BodyTracker {
public:
    explicit BodyTracker(Framing framing);

    /// How many leading bytes of `data` belong to the body (all of them until it ends).
    /// With `payload`, appends the body's content without its chunked framing (size lines,
    /// CRLFs, trailers): what an HTTP/1.0 client is sent. Returns nullopt once malformed.
    std::optional<std::size_t> consume(std::string_view data, std::string* payload = nullptr);
    [[nodiscard]] bool done() const noexcept { return m_state == State::done; }
    /// True for a body that ends only when the sender closes.
    [[nodiscard]] bool until_close() const noexcept { return m_until_close; }

private:
    enum class State { size_line, data, data_end, trailer_line, done, failed };
    bool line_step(char c);

    State m_state = State::done;
    bool m_until_close = false;
    bool m_chunked = false;
    std::uint64_t m_remaining = 0;
    std::string m_line;
};

} // namespace phantom::bridge
