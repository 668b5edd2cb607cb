// SPDX-License-Identifier: MIT
// Invite URIs: strict parsing of untrusted text with Boost.URL, and the matching formatter.
#include <phantom/config/invite.hpp>
#include <phantom/config/validation.hpp>

#include <boost/url/encode.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <optional>
#include <set>

namespace phantom::config {

namespace {

constexpr std::string_view k_scheme = "phantom";
// Far above any real invite (a 16 KiB key, fully percent-encoded, stays below it) while
// bounding the work a hostile paste can cause.
constexpr std::size_t k_max_uri_length = 64 * 1024;
// RFC 1929 §2: the SOCKS5 PASSWD field has a one-byte length, so Dante can never accept more.
constexpr std::size_t k_max_password_length = 255;

using InviteResult = boost::system::result<Invite, std::string>;

InviteResult fail(std::string_view reason) {
    // Reasons are fixed phrases or validator output: no decoded field is ever echoed, so
    // neither the password nor hostile control characters can reach a terminal or a log.
    return InviteResult(boost::system::in_place_error, "invite: " + std::string(reason));
}

bool has_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

// Everything outside RFC 3986 "unreserved" is percent-encoded, so the output reads the same
// to an RFC 3986 decoder and to a form decoder ('+' becomes %2B, ' ' becomes %20).
std::string encode(std::string_view text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
}

} // namespace

boost::system::result<Invite, std::string> parse_invite(std::string_view uri) {
    if (uri.empty()) {
        return fail("empty invite (expected phantom://USER:PASSWORD@HOST:PORT/?hostkey=...)");
    }
    if (uri.size() > k_max_uri_length) {
        return fail("invite is too long");
    }
    // Raw spaces, control characters and non-ASCII bytes are not URI characters (RFC 3986
    // §2), so parse_uri rejects them here; encoded ones are checked per field below.
    const auto parsed = boost::urls::parse_uri(uri);
    if (!parsed) {
        return fail("not a valid URI (expected phantom://USER:PASSWORD@HOST:PORT/?hostkey=...)");
    }
    const boost::urls::url_view& url = *parsed;

    // RFC 3986 §3.1: schemes are case-insensitive.
    if (!boost::urls::grammar::ci_is_equal(url.scheme(), k_scheme)) {
        return fail("scheme must be phantom://");
    }
    if (!url.has_authority()) {
        return fail("missing USER:PASSWORD@HOST:PORT after phantom://");
    }

    Invite invite;
    if (!url.has_userinfo() || url.encoded_user().empty()) {
        return fail("missing user name (expected USER:PASSWORD@ before the host)");
    }
    invite.socks_user = url.user();
    if (auto reason = check_user_name(invite.socks_user)) {
        return fail(*reason);
    }
    if (!url.has_password()) {
        return fail("missing password (expected USER:PASSWORD@ before the host)");
    }
    invite.password = url.password();
    if (invite.password.empty()) {
        return fail("empty password");
    }
    if (invite.password.size() > k_max_password_length) {
        return fail("password is longer than 255 bytes (the SOCKS5 limit, RFC 1929)");
    }
    if (has_control(invite.password)) {
        return fail("password contains a newline or control character");
    }

    switch (url.host_type()) {
    case boost::urls::host_type::name:
        invite.host = url.host();
        break;
    case boost::urls::host_type::ipv4:
        invite.host = url.host_address();
        break;
    case boost::urls::host_type::ipv6:
        // Kept without the URI brackets: the form ssh and check_host take.
        invite.host = url.host_address();
        break;
    case boost::urls::host_type::ipvfuture:
        return fail("unsupported IP literal in host");
    case boost::urls::host_type::none:
        break;
    }
    if (invite.host.empty()) {
        return fail("missing host");
    }
    if (auto reason = check_host(invite.host)) {
        return fail(*reason);
    }

    if (!url.has_port() || url.port().empty()) {
        // Boost.URL 1.81 reads "host:abc/" as an empty port followed by the path "abc/".
        if (!url.encoded_path().empty() && !url.encoded_path().starts_with('/')) {
            return fail("SSH port must be a number from 1 to 65535");
        }
        return fail("missing SSH port (expected HOST:PORT)");
    }
    const auto ssh_port = parse_port(url.port());
    if (!ssh_port) {
        return fail("SSH port must be a number from 1 to 65535");
    }
    invite.ssh_port = *ssh_port;

    if (url.has_fragment()) {
        return fail("unexpected fragment ('#...')");
    }
    if (url.encoded_path() != "" && url.encoded_path() != "/") {
        return fail("unexpected path (expected nothing between the port and '?')");
    }

    // encoded_params() with an RFC 3986 decode rather than params(): the latter turns '+'
    // into a space (form encoding) and would corrupt the '+' of a base64 host key.
    std::set<std::string> seen;
    std::optional<std::string> host_key;
    for (const auto& param : url.encoded_params()) {
        const std::string key = param.key.decode();
        if (key.empty() && !param.has_value) {
            continue; // "&&" or a trailing '&'
        }
        if (!seen.insert(key).second) {
            return fail("a query parameter appears twice");
        }
        const std::string value = param.value.decode();
        const bool known = key == "mode" || key == "socks_port" || key == "tunnel_user" || key == "hostkey" ||
                           key == "dante_host";
        if (!known) {
            continue; // a newer phantom-admin may add parameters
        }
        if (!param.has_value || value.empty()) {
            return fail("query parameter " + key + " has no value");
        }
        if (key == "mode") {
            const auto mode = parse_mode(value);
            if (!mode) {
                return fail("mode must be dante or direct");
            }
            invite.mode = *mode;
        } else if (key == "socks_port") {
            const auto port = parse_port(value);
            if (!port) {
                return fail("socks_port must be a number from 1 to 65535");
            }
            invite.socks_port = *port;
        } else if (key == "tunnel_user") {
            if (auto reason = check_user_name(value)) {
                return fail("tunnel_user: " + *reason);
            }
            invite.tunnel_user = value;
        } else if (key == "hostkey") {
            if (auto reason = check_host_key(value)) {
                return fail("hostkey: " + *reason);
            }
            host_key = value;
        } else {
            if (auto reason = check_host(value)) {
                return fail("dante_host: " + *reason);
            }
            invite.dante_host = value;
        }
    }
    if (!host_key) {
        // Pinning the host key is what makes the first connection safe (design §3, no TOFU).
        return fail("missing hostkey parameter (the server's SSH host key)");
    }
    invite.host_key = std::move(*host_key);
    return invite;
}

std::string format_invite(const Invite& invite) {
    // Built on a URI whose path is already "/": Boost.URL 1.81 renders set_path("/") after an
    // authority as "/./".
    boost::urls::url url("phantom://localhost/");
    if (invite.host.find(':') != std::string::npos && boost::urls::parse_ipv6_address(invite.host)) {
        // Boost.URL 1.81's host setters rewrite an IPv6 address canonically (0:0::1 becomes
        // ::1, upper case becomes lower); set as authority text it stays as written, so that
        // parse_invite(format_invite(x)) gives back x.host.
        url.set_encoded_authority("[" + invite.host + "]");
    } else if (const auto ipv4 = boost::urls::parse_ipv4_address(invite.host)) {
        // set_host_name would percent-encode the dots of an address ("10%2E0%2E0%2E1") so that
        // it stays a name: valid, but unreadable, and not every URI parser decodes it.
        url.set_host_ipv4(*ipv4);
    } else {
        // Not set_host_address: it takes "vd.example.com" for an IPvFuture literal
        // ("v" HEXDIG "." …, RFC 3986 §3.2.2) and brackets it (found by the invite fuzzer).
        url.set_host_name(invite.host);
    }
    url.set_encoded_user(encode(invite.socks_user));
    url.set_encoded_password(encode(invite.password));
    url.set_port_number(invite.ssh_port);

    std::string query = "mode=" + encode(to_string(invite.mode));
    query += "&socks_port=" + std::to_string(invite.socks_port);
    query += "&tunnel_user=" + encode(invite.tunnel_user);
    query += "&hostkey=" + encode(invite.host_key);
    if (invite.dante_host != Invite{}.dante_host) {
        query += "&dante_host=" + encode(invite.dante_host);
    }
    url.set_encoded_query(query);
    return std::string(url.buffer());
}

} // namespace phantom::config
