// SPDX-License-Identifier: MIT
// HTTP/1.1 for a forwarding proxy: request and response heads, targets, framing, hop-by-hop.
#include <phantom/bridge/http.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/base64.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace phantom::bridge {
namespace {

constexpr std::size_t k_max_chunk_line = 4096;
constexpr std::size_t k_max_host_length = 255; // what SOCKS5 ATYP=domain can carry

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// RFC 9110 §5.5: field-content is VCHAR, obs-text, SP and HTAB; CR, LF and NUL never.
bool is_field_value(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b == '\t' || (b >= 0x20 && b != 0x7f);
    });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

const std::string* find_header(const std::vector<Header>& headers, std::string_view name) {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            return &h.value;
        }
    }
    return nullptr;
}

// Calls `f` with each trimmed, non-empty element of every `name` field's comma list.
template <class F>
void for_each_list_element(const std::vector<Header>& headers, std::string_view name, F&& f) {
    for (const auto& h : headers) {
        if (!iequals(h.name, name)) {
            continue;
        }
        std::string_view rest = h.value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto element = trim(rest.substr(0, comma));
            if (!element.empty()) {
                f(element);
            }
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
}

bool list_contains(const std::vector<Header>& headers, std::string_view name, std::string_view token) {
    bool found = false;
    for_each_list_element(headers, name, [&](std::string_view e) { found = found || iequals(e, token); });
    return found;
}

/// Splits a head into lines; fails on a bare CR or LF (RFC 9112 §2.2: a recipient MAY
/// accept a bare LF, but a proxy that reads lines differently from the server behind it
/// is how requests get smuggled).
HttpResult<std::vector<std::string_view>> split_lines(std::string_view head, int failure_status) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (;;) {
        const auto end = head.find("\r\n", start);
        if (end == std::string_view::npos) {
            if (start != head.size()) {
                return HttpFailure{failure_status, "head does not end with CRLF CRLF"};
            }
            break;
        }
        const auto line = head.substr(start, end - start);
        if (line.find_first_of("\r\n") != std::string_view::npos) {
            return HttpFailure{failure_status, "bare CR or LF in head"};
        }
        lines.push_back(line);
        start = end + 2;
    }
    if (lines.empty() || !lines.back().empty()) {
        return HttpFailure{failure_status, "head does not end with CRLF CRLF"};
    }
    lines.pop_back();
    return lines;
}

HttpResult<std::vector<Header>> parse_fields(const std::vector<std::string_view>& lines,
                                             const HttpLimits& limits, int failure_status) {
    if (lines.size() - 1 > limits.max_headers) {
        return HttpFailure{431, fmt::format("more than {} header fields", limits.max_headers)};
    }
    std::vector<Header> headers;
    headers.reserve(lines.size() - 1);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = lines[i];
        if (line.empty()) {
            return HttpFailure{failure_status, "empty line inside the head"};
        }
        if (line.front() == ' ' || line.front() == '\t') {
            return HttpFailure{failure_status, "obsolete line folding in a header field"};
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return HttpFailure{failure_status, "header field without a colon"};
        }
        const auto name = line.substr(0, colon);
        if (!is_token(name)) {
            return HttpFailure{failure_status, "malformed header field name"};
        }
        const auto value = trim(line.substr(colon + 1));
        if (!is_field_value(value)) {
            return HttpFailure{failure_status, "control character in a header field value"};
        }
        headers.push_back({std::string(name), std::string(value)});
    }
    return headers;
}

std::optional<int> parse_version(std::string_view v) {
    if (v == "HTTP/1.1") {
        return 1;
    }
    if (v == "HTTP/1.0") {
        return 0;
    }
    return std::nullopt;
}

// 1*DIGIT without sign or spaces, fitting 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    std::uint64_t value = 0;
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

/// Content-Length, possibly repeated or a list of identical values (RFC 9110 §8.6).
HttpResult<std::optional<std::uint64_t>> content_length(const std::vector<Header>& headers,
                                                        int failure_status) {
    std::optional<std::uint64_t> length;
    bool bad = false;
    for (const auto& h : headers) {
        if (!iequals(h.name, "content-length")) {
            continue;
        }
        std::string_view rest = h.value;
        do {
            const auto comma = rest.find(',');
            const auto value = parse_decimal(trim(rest.substr(0, comma)));
            bad = bad || !value || (length && *length != *value);
            if (value) {
                length = value;
            }
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        } while (!rest.empty());
    }
    if (bad) {
        return HttpFailure{failure_status, "malformed or conflicting Content-Length"};
    }
    return length;
}

/// The transfer codings, lower case, in order.
std::vector<std::string> transfer_codings(const std::vector<Header>& headers) {
    std::vector<std::string> codings;
    for_each_list_element(headers, "transfer-encoding", [&](std::string_view e) {
        // A coding may carry parameters (";q=…" is not allowed here, but be exact anyway).
        std::string name(trim(e.substr(0, e.find(';'))));
        std::transform(name.begin(), name.end(), name.begin(), lower);
        codings.push_back(std::move(name));
    });
    return codings;
}

HttpResult<Target> make_target(std::string_view host, boost::urls::host_type type, std::string_view port_text,
                               std::optional<std::uint16_t> default_port) {
    Target t;
    switch (type) {
    case boost::urls::host_type::ipv4:
        t.kind = Target::Kind::ipv4;
        break;
    case boost::urls::host_type::ipv6:
        t.kind = Target::Kind::ipv6;
        break;
    case boost::urls::host_type::name:
        t.kind = Target::Kind::name;
        break;
    default:
        return HttpFailure{400, "unsupported host form"};
    }
    if (host.empty()) {
        return HttpFailure{400, "empty host"};
    }
    if (t.kind == Target::Kind::name && host.find('%') != std::string_view::npos) {
        return HttpFailure{400, "percent-encoded host name"};
    }
    if (host.size() > k_max_host_length) {
        return HttpFailure{400, "host name longer than 255 bytes"};
    }
    t.host = std::string(host);
    if (port_text.empty()) {
        if (!default_port) {
            return HttpFailure{400, "CONNECT target needs a port (host:port)"};
        }
        t.port = *default_port;
        return t;
    }
    const auto port = parse_decimal(port_text);
    if (!port || *port == 0 || *port > 65535) {
        return HttpFailure{400, "invalid port"};
    }
    t.port = static_cast<std::uint16_t>(*port);
    return t;
}

void append_fields(std::string& out, const std::vector<Header>& headers,
                   const std::vector<std::string>& drop) {
    for (const auto& h : headers) {
        const bool dropped = std::any_of(drop.begin(), drop.end(),
                                         [&](const std::string& name) { return iequals(name, h.name); });
        if (!dropped) {
            out += h.name;
            out += ": ";
            out += h.value;
            out += "\r\n";
        }
    }
}

/// RFC 9110 §7.6.1: Connection and every field it names, plus the fields known to be
/// hop-by-hop whether named or not.
std::vector<std::string> hop_by_hop(const std::vector<Header>& headers) {
    std::vector<std::string> names = {"connection", "proxy-connection",    "keep-alive",        "te",
                                      "upgrade",    "proxy-authorization", "proxy-authenticate"};
    for_each_list_element(headers, "connection", [&](std::string_view e) {
        // Connection cannot make the framing fields disappear: they still describe this body.
        if (!iequals(e, "transfer-encoding") && !iequals(e, "content-length")) {
            names.emplace_back(e);
        }
    });
    return names;
}

} // namespace

void throw_exception_from_error(const HttpFailure& failure, const boost::source_location& /*location*/) {
    throw Error(fmt::format("HTTP {}: {}", failure.status, failure.reason));
}

const std::string* RequestHead::find(std::string_view name) const {
    return find_header(headers, name);
}

const std::string* ResponseHead::find(std::string_view name) const {
    return find_header(headers, name);
}

std::optional<std::size_t> head_length(std::string_view buffered) {
    const auto end = buffered.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    return end + 4;
}

bool has_bare_line_feed(std::string_view buffered) {
    const auto end = head_length(buffered);
    const auto head = buffered.substr(0, end.value_or(buffered.size()));
    for (std::size_t i = head.find('\n'); i != std::string_view::npos; i = head.find('\n', i + 1)) {
        if (i == 0 || head[i - 1] != '\r') {
            return true;
        }
    }
    return false;
}

HttpResult<RequestHead> parse_request_head(std::string_view head, const HttpLimits& limits) {
    if (head.size() > limits.max_head_bytes) {
        return HttpFailure{431, fmt::format("request head larger than {} bytes", limits.max_head_bytes)};
    }
    auto lines = split_lines(head, 400);
    if (!lines) {
        return lines.error();
    }
    if (lines->empty() || lines->front().empty()) {
        return HttpFailure{400, "empty request line"};
    }
    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
    const auto line = lines->front();
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return HttpFailure{400, "malformed request line"};
    }
    RequestHead r;
    r.method = std::string(line.substr(0, sp1));
    r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    if (!is_token(r.method)) {
        return HttpFailure{400, "malformed method"};
    }
    if (r.target.empty() || !std::all_of(r.target.begin(), r.target.end(), [](char c) {
            const auto b = static_cast<unsigned char>(c);
            return b > 0x20 && b < 0x7f;
        })) {
        return HttpFailure{400, "malformed request target"};
    }
    const auto version = parse_version(line.substr(sp2 + 1));
    if (!version) {
        return HttpFailure{505, "only HTTP/1.0 and HTTP/1.1 are spoken here"};
    }
    r.minor_version = *version;
    auto fields = parse_fields(*lines, limits, 400);
    if (!fields) {
        return fields.error();
    }
    r.headers = std::move(*fields);
    return r;
}

HttpResult<ResponseHead> parse_response_head(std::string_view head, const HttpLimits& limits) {
    if (head.size() > limits.max_head_bytes) {
        return HttpFailure{502, fmt::format("response head larger than {} bytes", limits.max_head_bytes)};
    }
    auto lines = split_lines(head, 502);
    if (!lines) {
        return lines.error();
    }
    if (lines->empty()) {
        return HttpFailure{502, "empty status line"};
    }
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
    const auto line = lines->front();
    if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
        return HttpFailure{502, "malformed status line from the server"};
    }
    const auto version = parse_version(line.substr(0, 8));
    const auto status = parse_decimal(line.substr(9, 3));
    if (!version || !status || *status < 100) {
        return HttpFailure{502, "malformed status line from the server"};
    }
    ResponseHead r;
    r.minor_version = *version;
    r.status = static_cast<int>(*status);
    r.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
    if (!is_field_value(r.reason)) {
        return HttpFailure{502, "malformed status line from the server"};
    }
    auto fields = parse_fields(*lines, limits, 502);
    if (!fields) {
        if (fields.error().status == 431) {
            return HttpFailure{502, "too many header fields from the server"};
        }
        return fields.error();
    }
    r.headers = std::move(*fields);
    return r;
}

std::string Target::to_string() const {
    return kind == Kind::ipv6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

HttpResult<Target> parse_connect_target(std::string_view target) {
    const auto authority = boost::urls::parse_authority(target);
    if (!authority) {
        return HttpFailure{400, "malformed CONNECT target (expected host:port)"};
    }
    if (authority->has_userinfo()) {
        return HttpFailure{400, "CONNECT target must not carry user information"};
    }
    if (!authority->has_port()) {
        return HttpFailure{400, "CONNECT target needs a port (host:port)"};
    }
    return make_target(authority->encoded_host_address(), authority->host_type(), authority->port(),
                       std::nullopt);
}

HttpResult<ProxyTarget> parse_absolute_target(std::string_view target) {
    const auto url = boost::urls::parse_absolute_uri(target);
    if (!url) {
        if (!target.empty() && target.front() == '/') {
            return HttpFailure{400,
                               "this is a proxy: send the absolute URL (http://host/path) or use CONNECT"};
        }
        return HttpFailure{400, "malformed request target"};
    }
    if (url->scheme_id() != boost::urls::scheme::http) {
        if (url->scheme_id() == boost::urls::scheme::https) {
            return HttpFailure{400, "https:// URLs go through CONNECT; the bridge never terminates TLS"};
        }
        return HttpFailure{400, "only http:// URLs can be forwarded"};
    }
    if (url->has_userinfo()) {
        return HttpFailure{400, "URL must not carry user information"};
    }
    auto t = make_target(url->encoded_host_address(), url->host_type(), url->port(), std::uint16_t{80});
    if (!t) {
        return t.error();
    }
    const std::string_view path = url->encoded_path();
    if (!path.empty() && path.front() != '/') {
        return HttpFailure{400, "malformed request target"};
    }
    const std::string_view query =
        url->has_query() ? std::string_view(url->encoded_query()) : std::string_view();
    return ProxyTarget{std::move(*t),
                       fmt::format("{}{}{}", path.empty() ? "/" : path, url->has_query() ? "?" : "", query)};
}

bool proxy_authorized(const RequestHead& head, std::string_view user, std::string_view password) {
    const std::string* value = head.find("proxy-authorization");
    if (value == nullptr) {
        return false;
    }
    const std::string_view v = *value;
    const auto space = v.find(' ');
    if (space == std::string_view::npos || !iequals(v.substr(0, space), "basic")) {
        return false;
    }
    const std::string expected = sys::base64_encode(fmt::format("{}:{}", user, password));
    return sys::constant_time_equal(trim(v.substr(space + 1)), expected);
}

HttpResult<Framing> request_framing(const RequestHead& head) {
    const auto codings = transfer_codings(head.headers);
    auto length = content_length(head.headers, 400);
    if (!length) {
        return length.error();
    }
    if (codings.empty() && head.find("transfer-encoding") != nullptr) {
        return HttpFailure{400, "Transfer-Encoding without a coding"};
    }
    if (!codings.empty()) {
        // RFC 9112 §6.1: both present "ought to be handled as an error" by a proxy.
        if (*length) {
            return HttpFailure{400, "both Transfer-Encoding and Content-Length"};
        }
        if (head.minor_version == 0) {
            return HttpFailure{400, "Transfer-Encoding in an HTTP/1.0 request"};
        }
        if (codings.back() != "chunked") {
            return HttpFailure{400, "request transfer coding does not end in chunked"};
        }
        for (const auto& c : codings) {
            if (c != "chunked" && c != "gzip" && c != "deflate" && c != "compress" && c != "x-gzip") {
                return HttpFailure{501, fmt::format("unknown transfer coding \"{}\"", c)};
            }
        }
        return Framing{Framing::Kind::chunked, 0};
    }
    if (*length) {
        return Framing{**length == 0 ? Framing::Kind::none : Framing::Kind::length, **length};
    }
    return Framing{};
}

HttpResult<Framing> response_framing(const ResponseHead& head, std::string_view request_method) {
    // RFC 9112 §6.3 rules 1-2.
    if (request_method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304) {
        return Framing{};
    }
    const auto codings = transfer_codings(head.headers);
    if (!codings.empty()) {
        if (codings.back() == "chunked") {
            return Framing{Framing::Kind::chunked, 0};
        }
        return Framing{Framing::Kind::until_close, 0};
    }
    auto length = content_length(head.headers, 502);
    if (!length) {
        return length.error();
    }
    if (*length) {
        return Framing{**length == 0 ? Framing::Kind::none : Framing::Kind::length, **length};
    }
    return Framing{Framing::Kind::until_close, 0};
}

bool codings_for_http10(const ResponseHead& head) {
    const auto codings = transfer_codings(head.headers);
    return codings.empty() || (codings.size() == 1 && codings.front() == "chunked");
}

bool client_keeps_alive(const RequestHead& head) {
    if (list_contains(head.headers, "connection", "close")) {
        return false;
    }
    if (head.minor_version == 0) {
        return list_contains(head.headers, "connection", "keep-alive");
    }
    return true;
}

std::string upstream_request_head(const RequestHead& head, const ProxyTarget& target) {
    std::string out = fmt::format("{} {} HTTP/1.1\r\n", head.method, target.origin_form);
    // RFC 9112 §3.2.2: a proxy replaces Host with the authority of the absolute-form target.
    const bool default_port = target.target.port == 80;
    const std::string host = target.target.kind == Target::Kind::ipv6
                                 ? fmt::format("[{}]", target.target.host)
                                 : target.target.host;
    out += default_port ? fmt::format("Host: {}\r\n", host)
                        : fmt::format("Host: {}:{}\r\n", host, target.target.port);
    auto drop = hop_by_hop(head.headers);
    drop.emplace_back("host");
    append_fields(out, head.headers, drop);
    out += "Connection: close\r\n\r\n";
    return out;
}

std::string client_response_head(const ResponseHead& head, bool close, int client_minor_version) {
    // Answer in HTTP/1.1 (RFC 9110 §6.2: a server sends its own highest version); the
    // reason phrase is kept as the server sent it.
    std::string out = fmt::format("HTTP/1.1 {:03} {}\r\n", head.status, head.reason);
    auto drop = hop_by_hop(head.headers);
    // RFC 9112 §6.3: with Transfer-Encoding the body is framed by it; a Content-Length
    // passed on beside it could make the client frame it differently.
    if (head.find("transfer-encoding") != nullptr) {
        drop.emplace_back("content-length");
        if (client_minor_version == 0) {
            drop.emplace_back("transfer-encoding"); // decoded by the bridge, ended by close
        }
    }
    append_fields(out, head.headers, drop);
    if (close) {
        out += "Connection: close\r\n";
    } else if (client_minor_version == 0) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    return out;
}

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200:
        return "Connection established";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 407:
        return "Proxy Authentication Required";
    case 408:
        return "Request Timeout";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

std::string bridge_response(int status, std::string_view body) {
    std::string text = fmt::format("phantom: {}\n", body);
    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, reason_phrase(status));
    if (status == 407) {
        out += "Proxy-Authenticate: Basic realm=\"phantom\"\r\n";
    }
    out += fmt::format(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        text.size());
    out += text;
    return out;
}

BodyTracker::BodyTracker(Framing framing) {
    switch (framing.kind) {
    case Framing::Kind::none:
        m_state = State::done;
        break;
    case Framing::Kind::length:
        m_state = State::data;
        m_remaining = framing.length;
        break;
    case Framing::Kind::chunked:
        m_state = State::size_line;
        m_chunked = true;
        break;
    case Framing::Kind::until_close:
        m_state = State::data;
        m_until_close = true;
        break;
    }
}

std::optional<std::size_t> BodyTracker::consume(std::string_view data, std::string* payload) {
    std::size_t used = 0;
    while (used < data.size() && m_state != State::done) {
        if (m_state == State::failed) {
            return std::nullopt;
        }
        if (m_state == State::data) {
            if (m_until_close) {
                if (payload != nullptr) {
                    payload->append(data.substr(used));
                }
                return data.size();
            }
            const auto take =
                static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, data.size() - used));
            if (payload != nullptr) {
                payload->append(data.substr(used, take));
            }
            used += take;
            m_remaining -= take;
            if (m_remaining == 0) {
                // A Content-Length body ends here; a chunk's data is followed by CRLF.
                m_state = m_chunked ? State::data_end : State::done;
            }
            continue;
        }
        if (!line_step(data[used++])) {
            m_state = State::failed;
            return std::nullopt;
        }
    }
    if (m_state == State::failed) {
        return std::nullopt;
    }
    return used;
}

// One byte of a chunk-size line, the CRLF after chunk data, or a trailer line
// (RFC 9112 §7.1). Returns false when the byte cannot be there.
bool BodyTracker::line_step(char c) {
    if (m_line.size() >= k_max_chunk_line) {
        return false;
    }
    // After chunk data comes exactly CRLF: anything else is refused at once, not buffered.
    if (m_state == State::data_end && (m_line.empty() ? c != '\r' : c != '\n')) {
        return false;
    }
    m_line.push_back(c);
    if (c != '\n') {
        return true;
    }
    if (m_line.size() < 2 || m_line[m_line.size() - 2] != '\r') {
        return false;
    }
    const std::string_view line(m_line.data(), m_line.size() - 2);
    switch (m_state) {
    case State::size_line: {
        // chunk-size [ chunk-ext ]; extensions are passed on untouched.
        const auto digits = line.substr(0, std::min(line.find(';'), line.find_first_of(" \t")));
        std::uint64_t size = 0;
        if (digits.empty() || digits.size() > 15) {
            return false;
        }
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
        if (ec != std::errc() || end != digits.data() + digits.size()) {
            return false;
        }
        m_line.clear();
        if (size == 0) {
            m_state = State::trailer_line;
        } else {
            m_remaining = size;
            m_state = State::data;
        }
        return true;
    }
    case State::data_end:
        if (!line.empty()) {
            return false;
        }
        m_line.clear();
        m_state = State::size_line;
        return true;
    case State::trailer_line:
        m_state = line.empty() ? State::done : State::trailer_line;
        m_line.clear();
        return true;
    default:
        return false;
    }
}

} // namespace phantom::bridge
