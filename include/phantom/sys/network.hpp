// SPDX-License-Identifier: MIT
// A cheap snapshot of how this host is attached to the network, to notice a change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace phantom::sys {

/// What an ssh connection's path depends on, read without privileges in well under a
/// millisecond. Two different snapshots mean the network changed (another Wi-Fi, cable
/// plugged, VPN up); equal ones mean nothing that matters moved. Lists are sorted.
struct NetworkSnapshot {
    /// Default routes as "IFACE GATEWAY" (Linux: /proc/net/route and /proc/net/ipv6_route;
    /// empty on macOS, which has no route table file).
    std::vector<std::string> default_routes;
    /// "IFACE ADDRESS" for the IPv4 addresses of the interfaces that carry a default route;
    /// of every up, non-loopback interface when there is none (or no route table to read).
    /// IPv6 addresses are left out: privacy addresses rotate daily without breaking
    /// anything, and docker bridges without a default route do not count either.
    std::vector<std::string> addresses;

    bool operator==(const NetworkSnapshot&) const = default;
};

/// The current snapshot. Unreadable sources count as empty (never throws).
NetworkSnapshot network_snapshot();

/// The usable default routes in the text of /proc/net/route (IPv4) and
/// /proc/net/ipv6_route, as "IFACE GATEWAY"; rejected and loopback routes are skipped.
std::vector<std::string> parse_default_routes(std::string_view proc_net_route,
                                              std::string_view proc_net_ipv6_route);

} // namespace phantom::sys
