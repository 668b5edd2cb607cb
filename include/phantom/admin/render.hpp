// SPDX-License-Identifier: MIT
// What the server's daemons read, rendered from the members and the settings: danted.conf,
// the PAM password file, authorized_keys, sshd_config.
#pragma once

#include <phantom/admin/server_config.hpp>
#include <phantom/admin/users.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::admin {

/// Replaces every {{name}} in `text` by values[name]. Throws phantom::Error naming the first
/// placeholder without a value, so a template and its renderer cannot drift apart silently.
std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values);

/// The rule section of danted.conf (design §4, §7): the PAM-service anchor, phantom's login
/// check, blocks for ports outside config.ports, each enabled member's exemptions
/// (allow_targets), blocks for private, loopback, link-local and metadata ranges (IPv4 and
/// IPv6), each enabled member's own rule with session.max and session.throttle, a final block.
std::string dante_rules(const ServerConfig& config, const std::vector<Member>& members);

/// danted.conf from its template (server/danted.conf).
std::string render_danted_conf(std::string_view template_text, const ServerConfig& config,
                               const std::vector<Member>& members);

/// The pam_pwdfile file: "name:hash" per enabled member.
std::string render_password_file(const std::vector<Member>& members);

/// authorized_keys of the tunnel account: one line per enabled member with a key, that key
/// restricted to forwarding to Dante (restrict, port-forwarding, permitopen, nologin), its
/// own comment replaced by "phantom:NAME".
std::string render_authorized_keys(const ServerConfig& config, const std::vector<Member>& members);

/// sshd_config from its template (server/sshd_config).
std::string render_sshd_config(std::string_view template_text, const ServerConfig& config,
                               const DataFiles& files);

/// "ADDR:PORT" of Dante as sshd's permitopen/PermitOpen take it (IPv6 in brackets).
std::string dante_endpoint(const ServerConfig& config);

/// The private, loopback, link-local, shared and metadata ranges members may not reach.
const std::vector<std::string>& blocked_ranges();

} // namespace phantom::admin
