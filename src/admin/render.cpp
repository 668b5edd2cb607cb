// SPDX-License-Identifier: MIT
// What the server's daemons read, rendered from the members and the settings: danted.conf,
// the PAM password file, authorized_keys, sshd_config.
#include <phantom/admin/render.hpp>
#include <phantom/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace phantom::admin {
namespace {

// tunnel/probe.hpp's check target: the login check rule must name exactly this.
constexpr const char* k_check_target = "127.0.0.1/32 port = 1";

std::string pam_lines(const ServerConfig& config) {
    // Dante 1.4.2 reads a service name on the method's line as another method (design §7).
    return fmt::format("  socksmethod: pam.username\n  pam.servicename: {}\n", config.pam_service);
}

/// The disallowed port ranges between the allowed ports: [1, p1-1], [p1+1, p2-1], …, [pn+1, 65535].
std::vector<std::pair<unsigned, unsigned>> blocked_port_ranges(std::vector<std::uint16_t> ports) {
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    std::vector<std::pair<unsigned, unsigned>> ranges;
    unsigned next = 1;
    for (const auto port : ports) {
        if (port > next) {
            ranges.emplace_back(next, port - 1U);
        }
        next = port + 1U;
    }
    if (next <= 65535) {
        ranges.emplace_back(next, 65535);
    }
    return ranges;
}

std::string member_rule(const ServerConfig& config, const Member& m, std::string_view to) {
    const Rate rate = m.rate.value_or(config.member_rate);
    return fmt::format("socks pass {{\n  from: 0/0 to: {}\n  command: connect\n{}  user: {}\n"
                       "  session.max: {}\n  session.throttle: {}\n  log: connect disconnect error\n}}\n",
                       to, pam_lines(config), m.name, m.max_sessions.value_or(config.max_sessions),
                       to_string(rate));
}

} // namespace

std::string dante_endpoint(const ServerConfig& config) {
    // sshd's permitopen/PermitOpen take an IPv6 address in brackets.
    return config.dante_addr.find(':') != std::string::npos
               ? fmt::format("[{}]:{}", config.dante_addr, config.dante_port)
               : fmt::format("{}:{}", config.dante_addr, config.dante_port);
}

std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values) {
    std::string out;
    std::size_t at = 0;
    for (;;) {
        const auto open = text.find("{{", at);
        if (open == std::string_view::npos) {
            out.append(text.substr(at));
            return out;
        }
        const auto close = text.find("}}", open);
        if (close == std::string_view::npos) {
            throw Error("template has an unclosed {{", "fix the template file");
        }
        out.append(text.substr(at, open - at));
        const std::string name(text.substr(open + 2, close - open - 2));
        const auto value = values.find(name);
        if (value == values.end()) {
            throw Error(
                fmt::format("template placeholder {{{{{}}}}} has no value", name),
                "the template and phantom-admin are from different versions: reinstall them together");
        }
        out.append(value->second);
        at = close + 2;
    }
}

const std::vector<std::string>& blocked_ranges() {
    // RFC 1918, loopback, "this network", CGNAT (RFC 6598), link-local (incl. the cloud
    // metadata address 169.254.169.254), multicast and reserved; IPv6 loopback, unique local
    // (incl. fd00:ec2::254), link-local and multicast. (Dante refuses IPv4-mapped IPv6 in
    // rules: it never uses them, the IPv4 ranges cover those targets.)
    static const std::vector<std::string> ranges = {
        "0.0.0.0/8",     "10.0.0.0/8",   "100.64.0.0/10",  "127.0.0.0/8",   "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
        "::1/128",       "::/128",       "fc00::/7",       "fe80::/10",     "ff00::/8",
    };
    return ranges;
}

std::string dante_rules(const ServerConfig& config, const std::vector<Member>& members) {
    std::vector<const Member*> enabled;
    for (const auto& m : members) {
        if (m.enabled) {
            enabled.push_back(&m);
        }
    }
    std::string out;
    out += "# Never matches; names the PAM service so that reloads keep using it (Dante 1.4.2).\n";
    out += fmt::format("socks block {{\n  from: 0.0.0.0/32 to: 0.0.0.0/32\n{}}}\n\n", pam_lines(config));
    out += "# phantom's login check: a member whose password PAM accepts may \"connect\" to port 1 on\n"
           "# Dante's own loopback, where nothing listens: \"refused\" means a good password, \"not\n"
           "# allowed\" a bad one, and nothing leaves the server.\n";
    out += fmt::format("socks pass {{\n  from: 0/0 to: {}\n  command: connect\n{}  log: error\n}}\n\n",
                       k_check_target, pam_lines(config));
    out += "# Destination ports members may not use.\n";
    for (const auto& [low, high] : blocked_port_ranges(config.ports)) {
        const std::string port =
            low == high ? fmt::format("port = {}", low) : fmt::format("port {}-{}", low, high);
        out += fmt::format("socks block {{\n  from: 0/0 to: 0/0 {}\n  log: connect error\n}}\n", port);
    }
    if (!config.allow_targets.empty()) {
        out += "\n# Exempt from the private-range block (allow_targets).\n";
        for (const Member* m : enabled) {
            for (const auto& target : config.allow_targets) {
                out += member_rule(config, *m, target);
            }
        }
    }
    out += "\n# Private, loopback, link-local and metadata ranges.\n";
    for (const auto& range : blocked_ranges()) {
        out += fmt::format("socks block {{\n  from: 0/0 to: {}\n  log: connect error\n}}\n", range);
    }
    out += "\n# Members: one rule each, with their own limits.\n";
    for (const Member* m : enabled) {
        out += member_rule(config, *m, "0/0");
    }
    out += "\nsocks block {\n  from: 0/0 to: 0/0\n  log: connect error\n}\n";
    return out;
}

std::string render_danted_conf(std::string_view template_text, const ServerConfig& config,
                               const std::vector<Member>& members) {
    return fill_template(template_text, {
                                            {"dante_addr", config.dante_addr},
                                            {"dante_port", std::to_string(config.dante_port)},
                                            {"dante_external", config.dante_external},
                                            {"dante_user", config.dante_user},
                                            {"rules", dante_rules(config, members)},
                                        });
}

std::string render_password_file(const std::vector<Member>& members) {
    std::string out;
    for (const auto& m : members) {
        if (m.enabled) {
            out += fmt::format("{}:{}\n", m.name, m.password_hash);
        }
    }
    return out;
}

std::string render_authorized_keys(const ServerConfig& config, const std::vector<Member>& members) {
    std::string out = "# Written by phantom-admin: edits are replaced. One line per enabled member.\n";
    for (const auto& m : members) {
        if (!m.enabled || m.ssh_key.empty()) {
            continue;
        }
        // "TYPE BASE64": the member's own comment is not carried over (it is theirs to choose,
        // and this file's comments name members).
        const auto first_space = m.ssh_key.find(' ');
        const auto second_space = m.ssh_key.find(' ', first_space + 1);
        const std::string key = m.ssh_key.substr(0, second_space);
        out += fmt::format(
            "restrict,port-forwarding,permitopen=\"{}\",command=\"/usr/sbin/nologin\" {} phantom:{}\n",
            dante_endpoint(config), key, m.name);
    }
    return out;
}

std::string render_sshd_config(std::string_view template_text, const ServerConfig& config,
                               const DataFiles& files) {
    // The paths go into quoted sshd_config values, where sshd also expands %-tokens.
    for (const auto& path : {files.host_key.string(), files.authorized_keys.string()}) {
        if (path.find_first_of("\"%\n\r") != std::string::npos) {
            throw Error(fmt::format("the data directory path {} cannot go into sshd_config", path),
                        "use a data directory without '\"', '%' or line breaks in its path");
        }
    }
    return fill_template(template_text, {
                                            {"ssh_port", std::to_string(config.ssh_port)},
                                            {"ssh_listen", config.ssh_listen},
                                            {"host_key", files.host_key.string()},
                                            {"authorized_keys", files.authorized_keys.string()},
                                            {"tunnel_user", config.tunnel_user},
                                            {"dante_endpoint", dante_endpoint(config)},
                                        });
}

} // namespace phantom::admin
