// SPDX-License-Identifier: MIT
// Validators for values that end up in ssh argv, known_hosts and authorized_keys lines.
#include <phantom/config/validation.hpp>
#include <phantom/sys/base64.hpp>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

namespace phantom::config {

namespace {

// RFC 1035 §2.3.4: 63 octets per label; 253 characters is the longest name that fits in
// 255 octets of wire format.
constexpr std::size_t k_max_host_length = 253;
constexpr std::size_t k_max_label_length = 63;
constexpr std::size_t k_max_user_name_length = 32;
// A 16384-bit RSA key is about 2.8 KB of base64; anything far beyond is not a public key.
constexpr std::size_t k_max_key_length = 16 * 1024;

// The key types OpenSSH 8.2+ accepts for host keys and user keys, certificates excluded.
constexpr std::array<std::string_view, 7> k_key_types = {
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

bool has_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), is_control);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_known_key_type(std::string_view type) {
    return std::find(k_key_types.begin(), k_key_types.end(), type) != k_key_types.end();
}

std::optional<std::string> check_label(std::string_view label) {
    if (label.empty()) {
        return "host has an empty label (\"..\" or a leading or trailing '.')";
    }
    if (label.size() > k_max_label_length) {
        return "host has a label longer than 63 characters";
    }
    if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
        return "host may contain only letters, digits, '-' and '.' (or be an IP address)";
    }
    if (label.front() == '-' || label.back() == '-') {
        return "host has a label that starts or ends with '-'";
    }
    return std::nullopt;
}

// Reads one SSH "string" (RFC 4251 §5: uint32 big-endian length, then the bytes) from the
// front of `blob`; nullopt when the length runs past the end.
std::optional<std::string_view> take_ssh_string(std::string_view& blob) {
    if (blob.size() < 4) {
        return std::nullopt;
    }
    std::uint32_t length = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        length = (length << 8) | static_cast<unsigned char>(blob[i]);
    }
    blob.remove_prefix(4);
    if (length > blob.size()) {
        return std::nullopt;
    }
    const std::string_view value = blob.substr(0, length);
    blob.remove_prefix(length);
    return value;
}

} // namespace

std::optional<std::string> check_host(std::string_view host) {
    if (host.empty()) {
        return "host is empty";
    }
    if (host.size() > k_max_host_length) {
        return "host is longer than 253 characters";
    }
    if (has_control(host) || host.find(' ') != std::string_view::npos) {
        return "host contains whitespace or a control character";
    }
    if (host.front() == '-') {
        // ssh parses a destination starting with '-' as an option (-oProxyCommand=...).
        return "host starts with '-'";
    }
    if (host.find('@') != std::string_view::npos) {
        return "host contains '@' (the user name has its own setting)";
    }
    if (host.find('/') != std::string_view::npos) {
        return "host contains '/'";
    }
    if (host.find_first_of("[]") != std::string_view::npos) {
        // ssh, getaddrinfo and known_hosts entries take the bare address; brackets are URI
        // syntax that parse_invite removes.
        return "host has brackets (write IPv6 addresses without them, e.g. 2001:db8::1)";
    }
    if (host.find(':') != std::string_view::npos) {
        // Boost.URL's RFC 3986 grammar: no zone index, which ssh could not use anyway.
        if (!boost::urls::parse_ipv6_address(host)) {
            return "host contains ':' but is not an IPv6 address";
        }
        return std::nullopt;
    }

    const std::size_t last_dot = host.rfind('.');
    const std::string_view last_label = last_dot == std::string_view::npos ? host : host.substr(last_dot + 1);
    if (!last_label.empty() && std::all_of(last_label.begin(), last_label.end(), is_digit)) {
        // RFC 1123 §2.1: a numeric top label means a dotted-decimal address. inet_aton (behind
        // getaddrinfo) would also read shorthands like "127.1", so only full IPv4 is accepted.
        if (!boost::urls::parse_ipv4_address(host)) {
            return "host looks like an IPv4 address but is not one (expected a.b.c.d)";
        }
        return std::nullopt;
    }

    std::string_view rest = host;
    while (true) {
        const std::size_t dot = rest.find('.');
        if (auto reason = check_label(rest.substr(0, dot))) {
            return reason;
        }
        if (dot == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(dot + 1);
    }
    return std::nullopt;
}

std::optional<std::string> check_user_name(std::string_view name) {
    if (name.empty()) {
        return "user name is empty";
    }
    if (name.size() > k_max_user_name_length) {
        return "user name is longer than 32 characters";
    }
    const auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
    if (!is_lower(name.front()) && name.front() != '_') {
        return "user name must start with a lowercase letter or '_'";
    }
    const bool valid = std::all_of(name.begin(), name.end(), [&](char c) {
        return is_lower(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
    });
    if (!valid) {
        return "user name may contain only lowercase letters, digits, '_', '.' and '-'";
    }
    return std::nullopt;
}

std::optional<std::string> check_host_key(std::string_view key, bool allow_comment) {
    if (key.empty()) {
        return "key is empty";
    }
    if (key.size() > k_max_key_length) {
        return "key is too long";
    }
    if (has_control(key)) {
        // A newline would start a second line in known_hosts / authorized_keys.
        return "key contains a newline or control character";
    }

    const std::size_t type_end = key.find(' ');
    const std::string_view type = key.substr(0, type_end);
    if (!is_known_key_type(type)) {
        // authorized_keys options (command="…",restrict) and known_hosts markers
        // (@cert-authority) come before the type; they are phantom's to write, not the input's.
        std::string_view rest = key;
        while (true) {
            const std::size_t space = rest.find(' ');
            if (space == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(space + 1);
            if (is_known_key_type(rest.substr(0, rest.find(' ')))) {
                return "key has options or a marker before its type";
            }
        }
        return "unknown key type (expected ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, "
               "sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com)";
    }
    if (type_end == std::string_view::npos) {
        return "key has no base64 part (expected \"TYPE BASE64\")";
    }

    std::string_view rest = key.substr(type_end + 1);
    const std::size_t blob_end = rest.find(' ');
    const std::string_view base64 = rest.substr(0, blob_end);
    if (base64.empty()) {
        return "key has no base64 part (expected \"TYPE BASE64\")";
    }
    if (blob_end != std::string_view::npos && !allow_comment) {
        return "key has text after its base64 part (expected \"TYPE BASE64\")";
    }

    const auto decoded = sys::base64_decode(base64);
    if (!decoded) {
        return "key is not valid base64";
    }
    // RFC 4253 §6.6: the blob starts with the key type as an SSH string, then the key
    // material as further strings/mpints (RFC 4251 §5); nothing may be left over.
    std::string_view blob = *decoded;
    const auto blob_type = take_ssh_string(blob);
    if (!blob_type) {
        return "key blob is truncated";
    }
    if (*blob_type != type) {
        return "key blob is for a different key type than its prefix";
    }
    if (blob.empty()) {
        return "key blob has no key material";
    }
    while (!blob.empty()) {
        if (!take_ssh_string(blob)) {
            return "key blob is truncated";
        }
    }
    return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Two rows of the Wagner–Fischer table.
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    std::iota(previous.begin(), previous.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

} // namespace phantom::config
