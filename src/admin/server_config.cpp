// SPDX-License-Identifier: MIT
// The server side's settings: <data>/server.toml, overridden by PHANTOM_* variables (design §4).
#include <phantom/admin/server_config.hpp>
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <charconv>
#include <functional>
#include <limits>
#include <map>

#include "config/toml_text.hpp"

namespace phantom::admin {
namespace {

std::optional<std::uint64_t> parse_number(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 12) {
        return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            out.emplace_back(item);
        }
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return out;
}

/// One setting: how to take it from a string (environment) and from a TOML node.
/// `apply` returns an error text for an invalid value.
struct Setting {
    const char* key; ///< in server.toml
    const char* env; ///< PHANTOM_…
    std::function<std::optional<std::string>(ServerConfig&, std::string_view)> apply;
};

std::optional<std::string> set_port(std::uint16_t& out, std::string_view text) {
    const auto n = parse_number(text);
    if (!n || *n == 0 || *n > 65535) {
        return "must be a port number (1-65535)";
    }
    out = static_cast<std::uint16_t>(*n);
    return std::nullopt;
}

std::optional<std::string> set_host(std::string& out, std::string_view text) {
    if (auto bad = config::check_host(text)) {
        return bad;
    }
    out = std::string(text);
    return std::nullopt;
}

std::optional<std::string> set_name(std::string& out, std::string_view text) {
    if (auto bad = config::check_user_name(text)) {
        return bad;
    }
    out = std::string(text);
    return std::nullopt;
}

std::optional<std::string> set_rate(Rate& out, std::string_view text) {
    auto rate = parse_rate(text);
    if (!rate) {
        return rate.error();
    }
    out = *rate;
    return std::nullopt;
}

std::optional<std::string> set_count(unsigned& out, std::string_view text, unsigned max) {
    const auto n = parse_number(text);
    if (!n || *n == 0 || *n > max) {
        return fmt::format("must be a number from 1 to {}", max);
    }
    out = static_cast<unsigned>(*n);
    return std::nullopt;
}

// A target exemption: an IPv4/IPv6 CIDR or a host name; Dante takes both in `to:`.
std::optional<std::string> check_target(std::string_view text) {
    const auto slash = text.find('/');
    const auto host = text.substr(0, slash);
    if (auto bad = config::check_host(host)) {
        return fmt::format("\"{}\" is not an address, a CIDR or a host name", text);
    }
    if (slash != std::string_view::npos) {
        const auto bits = parse_number(text.substr(slash + 1));
        const unsigned max = host.find(':') != std::string_view::npos ? 128 : 32;
        if (!bits || *bits > max) {
            return fmt::format("\"{}\" has an invalid prefix length", text);
        }
    }
    return std::nullopt;
}

const std::vector<Setting>& settings() {
    static const std::vector<Setting> all = {
        {"public_host", "PHANTOM_PUBLIC_HOST",
         [](ServerConfig& c, std::string_view v) { return set_host(c.public_host, v); }},
        {"ssh_port", "PHANTOM_SSH_PORT",
         [](ServerConfig& c, std::string_view v) { return set_port(c.ssh_port, v); }},
        {"ssh_listen", "PHANTOM_SSH_LISTEN",
         [](ServerConfig& c, std::string_view v) { return set_host(c.ssh_listen, v); }},
        {"dante_addr", "PHANTOM_DANTE_ADDR",
         [](ServerConfig& c, std::string_view v) { return set_host(c.dante_addr, v); }},
        {"dante_port", "PHANTOM_DANTE_PORT",
         [](ServerConfig& c, std::string_view v) { return set_port(c.dante_port, v); }},
        {"dante_external", "PHANTOM_DANTE_EXTERNAL",
         [](ServerConfig& c, std::string_view v) { return set_host(c.dante_external, v); }},
        {"tunnel_user", "PHANTOM_TUNNEL_USER",
         [](ServerConfig& c, std::string_view v) { return set_name(c.tunnel_user, v); }},
        {"dante_user", "PHANTOM_DANTE_USER",
         [](ServerConfig& c, std::string_view v) { return set_name(c.dante_user, v); }},
        {"pam_service", "PHANTOM_PAM_SERVICE",
         [](ServerConfig& c, std::string_view v) { return set_name(c.pam_service, v); }},
        {"allow_targets", "PHANTOM_ALLOW_TARGETS",
         [](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
             auto items = split_list(v);
             for (const auto& item : items) {
                 if (auto bad = check_target(item)) {
                     return bad;
                 }
             }
             c.allow_targets = std::move(items);
             return std::nullopt;
         }},
        {"ports", "PHANTOM_PORTS",
         [](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
             std::vector<std::uint16_t> ports;
             for (const auto& item : split_list(v)) {
                 std::uint16_t port = 0;
                 if (auto bad = set_port(port, item)) {
                     return fmt::format("\"{}\" {}", item, *bad);
                 }
                 ports.push_back(port);
             }
             if (ports.empty()) {
                 return "lists no port";
             }
             if (ports.size() > 15) {
                 return "lists more than 15 ports (iptables multiport takes 15)";
             }
             c.ports = std::move(ports);
             return std::nullopt;
         }},
        {"max_sessions", "PHANTOM_MAX_SESSIONS",
         [](ServerConfig& c, std::string_view v) { return set_count(c.max_sessions, v, 10000); }},
        {"member_rate", "PHANTOM_MEMBER_RATE",
         [](ServerConfig& c, std::string_view v) { return set_rate(c.member_rate, v); }},
        {"egress_rate", "PHANTOM_EGRESS_RATE",
         [](ServerConfig& c, std::string_view v) { return set_rate(c.egress_rate, v); }},
        {"egress_burst", "PHANTOM_EGRESS_BURST",
         [](ServerConfig& c, std::string_view v) { return set_count(c.egress_burst, v, 100000); }},
    };
    return all;
}

/// A TOML value as the text the setting parses: strings as is, integers in decimal,
/// arrays joined with commas. nullopt for other types.
std::optional<std::string> node_text(const toml::node& node) {
    if (const auto* s = node.as_string()) {
        return s->get();
    }
    if (const auto* i = node.as_integer()) {
        return i->get() < 0 ? std::string("-") : std::to_string(i->get());
    }
    if (const auto* a = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& item : *a) {
            auto text = node_text(item);
            if (!text || item.is_array()) {
                return std::nullopt;
            }
            items.push_back(std::move(*text));
        }
        return fmt::format("{}", fmt::join(items, ","));
    }
    return std::nullopt;
}

} // namespace

boost::system::result<Rate, std::string> parse_rate(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::string("rate must look like N/SECONDS, e.g. 30/1");
    }
    const auto count = parse_number(text.substr(0, slash));
    const auto seconds = parse_number(text.substr(slash + 1));
    if (!count || !seconds || *count == 0 || *seconds == 0 || *count > 100000 || *seconds > 3600) {
        return std::string("rate must look like N/SECONDS with 1 <= N <= 100000 and 1 <= SECONDS <= 3600");
    }
    return Rate{static_cast<unsigned>(*count), static_cast<unsigned>(*seconds)};
}

std::string to_string(const Rate& rate) {
    return fmt::format("{}/{}", rate.count, rate.seconds);
}

DataFiles data_files(const std::filesystem::path& data_dir) {
    DataFiles f;
    f.dir = data_dir;
    f.server_toml = data_dir / "server.toml";
    f.users = data_dir / "users.json";
    f.lock = data_dir / ".lock";
    f.password_file = data_dir / "dante" / "passwd";
    f.danted_conf = data_dir / "dante" / "danted.conf";
    f.dante_log = data_dir / "log" / "danted.log";
    f.ssh_dir = data_dir / "ssh";
    f.authorized_keys = f.ssh_dir / "authorized_keys";
    f.sshd_config = f.ssh_dir / "sshd_config";
    f.host_key = f.ssh_dir / "ssh_host_ed25519_key";
    return f;
}

ServerConfig load_server_config(const std::filesystem::path& data_dir, const sys::Environment& env) {
    ServerConfig config;
    config.data_dir = data_dir;
    const auto file = data_files(data_dir).server_toml;
    const std::string source = file.string();
    if (auto text = sys::read_file(file)) {
        const toml::table root = config::detail::parse_toml(
            *text, source, "fix the TOML syntax on that line (strings in double quotes)");
        for (const auto& [key, node] : root) {
            const auto& all = settings();
            const auto it =
                std::find_if(all.begin(), all.end(), [&](const Setting& s) { return key.str() == s.key; });
            const auto pos = node.source().begin;
            const std::string where = fmt::format("{}:{}:{}", source, pos.line, pos.column);
            if (it == all.end()) {
                throw Fatal(exit_code::k_config, fmt::format("{}: unknown key \"{}\"", where, key.str()),
                            "see server/README.md for the keys server.toml takes");
            }
            const auto text_value = node_text(node);
            if (!text_value) {
                throw Fatal(exit_code::k_config,
                            fmt::format("{}: \"{}\" has the wrong type", where, key.str()),
                            "write a string, a number or a list as in server/README.md");
            }
            if (auto bad = it->apply(config, *text_value)) {
                throw Fatal(exit_code::k_config, fmt::format("{}: {} {}", where, key.str(), *bad));
            }
        }
    } else if (text.error().value() != ENOENT) {
        throw Fatal(exit_code::k_config, fmt::format("cannot read {}: {}", source, text.error().message()),
                    "check the data directory's permissions (phantom-admin runs as root)");
    }
    for (const auto& setting : settings()) {
        const auto value = env.find(setting.env);
        if (value == env.end()) {
            continue;
        }
        if (auto bad = setting.apply(config, value->second)) {
            throw Fatal(exit_code::k_config, fmt::format("{}: {}", setting.env, *bad));
        }
    }
    return config;
}

std::string render_server_toml(const ServerConfig& c) {
    const auto quoted = [](const std::vector<std::string>& items) {
        std::vector<std::string> q;
        for (const auto& i : items) {
            q.push_back(fmt::format("\"{}\"", i));
        }
        return fmt::format("[{}]", fmt::join(q, ", "));
    };
    std::string out = "# phantom server settings; PHANTOM_* environment variables override each key.\n";
    // Unset until the admin sets it (here or PHANTOM_PUBLIC_HOST): an empty value is invalid.
    out += fmt::format(
        "{}public_host = \"{}\"  # the name or address members connect to (goes into invites)\n",
        c.public_host.empty() ? "# " : "", c.public_host.empty() ? "vps.example.com" : c.public_host);
    out += fmt::format("ssh_port = {}  # the published SSH port\n", c.ssh_port);
    out += fmt::format("ssh_listen = \"{}\"\n", c.ssh_listen);
    out +=
        fmt::format("dante_addr = \"{}\"  # where Dante listens; the only place the tunnel may forward to\n",
                    c.dante_addr);
    out += fmt::format("dante_port = {}\n", c.dante_port);
    out +=
        fmt::format("dante_external = \"{}\"  # Dante's outgoing interface or address\n", c.dante_external);
    out += fmt::format("tunnel_user = \"{}\"  # the SSH account members log in as\n", c.tunnel_user);
    out += fmt::format("dante_user = \"{}\"  # danted's unprivileged account\n", c.dante_user);
    out += fmt::format("pam_service = \"{}\"\n", c.pam_service);
    out += fmt::format("allow_targets = {}  # CIDRs or names exempt from the private-range block\n",
                       quoted(c.allow_targets));
    out += fmt::format("ports = [{}]  # destination ports members may reach\n", fmt::join(c.ports, ", "));
    out += fmt::format("max_sessions = {}  # concurrent sessions per member (user add --max-sessions)\n",
                       c.max_sessions);
    out += fmt::format("member_rate = \"{}\"  # new sessions per member per seconds (user add --rate)\n",
                       to_string(c.member_rate));
    out += fmt::format("egress_rate = \"{}\"  # new connections of the whole team per seconds (iptables)\n",
                       to_string(c.egress_rate));
    out += fmt::format("egress_burst = {}\n", c.egress_burst);
    return out;
}

} // namespace phantom::admin
