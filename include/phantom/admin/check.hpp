// SPDX-License-Identifier: MIT
// `phantom-admin check`: is the server's data directory sound and do its daemons answer?
#pragma once

#include <phantom/admin/operations.hpp>

#include <optional>
#include <string>
#include <vector>

namespace phantom::admin {

struct CheckResult {
    bool ok = false;
    std::string what;   ///< "danted answers SOCKS5 on dante:1080"
    std::string detail; ///< why not, with the fix; empty when ok
};

/// Settings (already loaded), the data files and their modes and owners, and the daemons:
/// danted answers a SOCKS5 greeting on dante_addr:dante_port, sshd sends its banner on
/// ssh_port. `service` ("dante" or "sshd") limits the daemon checks to that one (the
/// compose healthchecks); nullopt checks both.
std::vector<CheckResult> check_server(const Context& ctx, const std::optional<std::string>& service);

} // namespace phantom::admin
