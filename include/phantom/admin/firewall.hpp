// SPDX-License-Identifier: MIT
// The team's egress rate: phantom's own iptables chain (design §4), nothing else touched.
#pragma once

#include <phantom/admin/server_config.hpp>

#include <string>

namespace phantom::admin {

/// The chain phantom owns, hooked from OUTPUT.
inline constexpr const char* k_egress_chain = "PHANTOM-EGRESS";

/// iptables-restore input (for --noflush) that replaces the chain's rules in one step:
/// NEW TCP connections to config.ports beyond config.egress_rate (burst config.egress_burst),
/// counted for the whole team in one hashlimit bucket, are dropped — the sender's SYN retry
/// turns that into a delay rather than an error. Loopback is never limited.
std::string egress_rules(const ServerConfig& config);

/// Loads egress_rules() atomically (iptables-restore --noflush) and hooks the chain from
/// OUTPUT once. Applying twice gives the same rules. Throws phantom::Fatal(69) naming the
/// missing tool or capability (NET_ADMIN).
void apply_egress_limit(const ServerConfig& config);

/// The chain's rules with their packet and byte counters (iptables -L -v -x -n), or a line
/// saying there is no limit.
std::string show_egress_limit();

/// Removes the hook and the chain, and nothing else. Idempotent.
void clear_egress_limit();

} // namespace phantom::admin
