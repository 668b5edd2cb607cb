// SPDX-License-Identifier: MIT
// SOCKS5 messages (RFC 1928) and username/password auth (RFC 1929), both directions.
#include <phantom/bridge/socks5.hpp>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

#include <array>

namespace phantom::bridge::socks5 {
namespace {

constexpr std::uint8_t k_atyp_ipv4 = 0x01;
constexpr std::uint8_t k_atyp_domain = 0x03;
constexpr std::uint8_t k_atyp_ipv6 = 0x04;
constexpr std::uint8_t k_password_version = 0x01;

std::uint8_t byte(std::string_view data, std::size_t i) noexcept {
    return static_cast<std::uint8_t>(data[i]);
}

template <class T>
Parsed<T> invalid(std::string_view why) {
    Parsed<T> p;
    p.status = Parsed<T>::Status::invalid;
    p.error = why;
    return p;
}

template <class T>
Parsed<T> complete(T value, std::size_t size) {
    Parsed<T> p;
    p.status = Parsed<T>::Status::complete;
    p.value = std::move(value);
    p.size = size;
    return p;
}

void append_port(std::string& out, std::uint16_t port) {
    out.push_back(static_cast<char>(port >> 8));
    out.push_back(static_cast<char>(port & 0xFF));
}

} // namespace

Parsed<std::vector<std::uint8_t>> parse_greeting(std::string_view data) {
    if (data.size() < 2) {
        return {};
    }
    if (byte(data, 0) != k_version) {
        return invalid<std::vector<std::uint8_t>>("not SOCKS version 5");
    }
    const std::size_t n = byte(data, 1);
    if (n == 0) {
        return invalid<std::vector<std::uint8_t>>("greeting offers no method");
    }
    if (data.size() < 2 + n) {
        return {};
    }
    std::vector<std::uint8_t> methods;
    for (std::size_t i = 0; i < n; ++i) {
        methods.push_back(byte(data, 2 + i));
    }
    return complete(std::move(methods), 2 + n);
}

Parsed<Credentials> parse_password_request(std::string_view data) {
    if (data.size() < 2) {
        return {};
    }
    if (byte(data, 0) != k_password_version) {
        return invalid<Credentials>("not username/password version 1");
    }
    const std::size_t ulen = byte(data, 1);
    if (data.size() < 2 + ulen + 1) {
        return {};
    }
    const std::size_t plen = byte(data, 2 + ulen);
    const std::size_t size = 3 + ulen + plen;
    if (data.size() < size) {
        return {};
    }
    return complete(Credentials{std::string(data.substr(2, ulen)), std::string(data.substr(3 + ulen, plen))},
                    size);
}

Parsed<Request> parse_request(std::string_view data) {
    if (data.size() < 5) {
        return {};
    }
    if (byte(data, 0) != k_version) {
        return invalid<Request>("not SOCKS version 5");
    }
    if (byte(data, 2) != 0) {
        return invalid<Request>("reserved byte is not zero");
    }
    Request r;
    r.command = byte(data, 1);
    std::size_t size = 0;
    switch (byte(data, 3)) {
    case k_atyp_ipv4: {
        size = 4 + 4 + 2;
        if (data.size() < size) {
            return {};
        }
        std::array<unsigned char, 4> bytes{};
        std::copy_n(data.begin() + 4, 4, bytes.begin());
        r.target.kind = Target::Kind::ipv4;
        r.target.host = boost::urls::ipv4_address(bytes).to_string();
        break;
    }
    case k_atyp_ipv6: {
        size = 4 + 16 + 2;
        if (data.size() < size) {
            return {};
        }
        std::array<unsigned char, 16> bytes{};
        std::copy_n(data.begin() + 4, 16, bytes.begin());
        r.target.kind = Target::Kind::ipv6;
        r.target.host = boost::urls::ipv6_address(bytes).to_string();
        break;
    }
    case k_atyp_domain: {
        const std::size_t length = byte(data, 4);
        size = 4 + 1 + length + 2;
        if (length == 0) {
            return invalid<Request>("empty host name");
        }
        if (data.size() < size) {
            return {};
        }
        r.target.kind = Target::Kind::name;
        r.target.host = std::string(data.substr(5, length));
        if (r.target.host.find('\0') != std::string::npos) {
            return invalid<Request>("NUL in host name");
        }
        break;
    }
    default: {
        auto p = invalid<Request>("unknown address type");
        p.value.address_type_unknown = true;
        return p;
    }
    }
    r.target.port = static_cast<std::uint16_t>((byte(data, size - 2) << 8) | byte(data, size - 1));
    return complete(std::move(r), size);
}

std::string reply(Reply code) {
    return std::string{
        static_cast<char>(k_version), static_cast<char>(code), 0, k_atyp_ipv4, 0, 0, 0, 0, 0, 0};
}

std::string client_greeting(bool with_password) {
    return {static_cast<char>(k_version), 1,
            static_cast<char>(with_password ? k_method_password : k_method_none)};
}

std::string client_password_request(std::string_view user, std::string_view password) {
    // RFC 1929 lengths are one byte; config validation keeps both within 255.
    std::string out{static_cast<char>(k_password_version), static_cast<char>(user.size())};
    out.append(user.substr(0, 255));
    out.push_back(static_cast<char>(password.size()));
    out.append(password.substr(0, 255));
    return out;
}

std::string client_connect(const Target& target) {
    std::string out{static_cast<char>(k_version), static_cast<char>(k_cmd_connect), 0};
    if (target.kind == Target::Kind::ipv4) {
        const auto address = boost::urls::parse_ipv4_address(target.host);
        out.push_back(static_cast<char>(k_atyp_ipv4));
        for (const auto b : address->to_bytes()) {
            out.push_back(static_cast<char>(b));
        }
    } else if (target.kind == Target::Kind::ipv6) {
        const auto address = boost::urls::parse_ipv6_address(target.host);
        out.push_back(static_cast<char>(k_atyp_ipv6));
        for (const auto b : address->to_bytes()) {
            out.push_back(static_cast<char>(b));
        }
    } else {
        // The name travels as is: the server resolves it (RFC 1928 §5, ATYP 3).
        out.push_back(static_cast<char>(k_atyp_domain));
        out.push_back(static_cast<char>(target.host.size()));
        out.append(target.host);
    }
    append_port(out, target.port);
    return out;
}

Parsed<std::uint8_t> parse_method_selection(std::string_view data) {
    if (data.size() < 2) {
        return {};
    }
    if (byte(data, 0) != k_version) {
        return invalid<std::uint8_t>("the tunnel does not speak SOCKS5");
    }
    return complete(byte(data, 1), 2);
}

Parsed<bool> parse_password_status(std::string_view data) {
    if (data.size() < 2) {
        return {};
    }
    if (byte(data, 0) != k_password_version) {
        return invalid<bool>("malformed username/password reply");
    }
    return complete(byte(data, 1) == 0, 2);
}

Parsed<Reply> parse_reply(std::string_view data) {
    if (data.size() < 5) {
        return {};
    }
    if (byte(data, 0) != k_version || byte(data, 1) > 0x08) {
        return invalid<Reply>("malformed SOCKS reply");
    }
    std::size_t size = 0;
    switch (byte(data, 3)) {
    case k_atyp_ipv4:
        size = 4 + 4 + 2;
        break;
    case k_atyp_ipv6:
        size = 4 + 16 + 2;
        break;
    case k_atyp_domain:
        size = 4 + 1 + byte(data, 4) + 2;
        break;
    default:
        return invalid<Reply>("malformed SOCKS reply");
    }
    if (data.size() < size) {
        return {};
    }
    return complete(static_cast<Reply>(byte(data, 1)), size);
}

std::string_view describe(Reply code) {
    switch (code) {
    case Reply::succeeded:
        return "succeeded";
    case Reply::general_failure:
        return "the server's SOCKS service failed";
    case Reply::not_allowed:
        return "the server's rules forbid this destination";
    case Reply::network_unreachable:
        return "network unreachable from the server";
    case Reply::host_unreachable:
        return "host unreachable from the server (or its name does not resolve there)";
    case Reply::connection_refused:
        return "connection refused by the destination";
    case Reply::ttl_expired:
        return "the destination did not answer in time (TTL expired)";
    case Reply::command_not_supported:
        return "command not supported";
    case Reply::address_type_not_supported:
        return "address type not supported";
    }
    return "unknown SOCKS reply";
}

int http_status(Reply code) {
    return code == Reply::ttl_expired ? 504 : 502;
}

} // namespace phantom::bridge::socks5
