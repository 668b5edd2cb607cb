// SPDX-License-Identifier: MIT
// A cheap snapshot of how this host is attached to the network, to notice a change.
#include <sys/socket.h>

#include <phantom/sys/fs.hpp>
#include <phantom/sys/network.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <set>

namespace phantom::sys {
namespace {

// <linux/route.h> / <net/route.h> flag bits, spelled out: the header differs per OS and
// only the /proc format (Linux) is parsed here.
constexpr unsigned k_rtf_up = 0x0001;
constexpr unsigned k_rtf_reject = 0x0200;

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < line.size()) {
        const std::size_t start = line.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos) {
            break;
        }
        const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
        fields.push_back(line.substr(start, end - start));
        pos = end;
    }
    return fields;
}

template <class Visit>
void for_each_line(std::string_view text, Visit visit) {
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        visit(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
    }
}

bool usable_flags(std::string_view hex) {
    unsigned flags = 0;
    const auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), flags, 16);
    if (ec != std::errc{} || ptr != hex.data() + hex.size()) {
        return false;
    }
    return (flags & k_rtf_up) != 0 && (flags & k_rtf_reject) == 0;
}

bool all_zero(std::string_view hex) {
    return !hex.empty() && hex.find_first_not_of('0') == std::string_view::npos;
}

std::string read_or_empty(const char* path) {
    auto text = read_file(path);
    return text ? std::move(*text) : std::string{};
}

} // namespace

std::vector<std::string> parse_default_routes(std::string_view proc_net_route,
                                              std::string_view proc_net_ipv6_route) {
    std::set<std::string> routes;
    // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... (header
    // first). A default route has destination and mask 0.
    for_each_line(proc_net_route, [&](std::string_view line) {
        const auto f = split_fields(line);
        if (f.size() >= 8 && all_zero(f[1]) && all_zero(f[7]) && usable_flags(f[3]) && f[0] != "lo") {
            routes.insert(std::string(f[0]) + " " + std::string(f[2]));
        }
    });
    // /proc/net/ipv6_route: dest plen src plen next_hop metric refcnt use flags iface (no
    // header). RefCnt and Use change all the time, so only the next hop and device count.
    // The kernel keeps a rejecting ::/0 on lo: not a route out.
    for_each_line(proc_net_ipv6_route, [&](std::string_view line) {
        const auto f = split_fields(line);
        if (f.size() >= 10 && all_zero(f[0]) && all_zero(f[1]) && usable_flags(f[8]) && f[9] != "lo") {
            routes.insert(std::string(f[9]) + " " + std::string(f[4]));
        }
    });
    return {routes.begin(), routes.end()};
}

NetworkSnapshot network_snapshot() {
    NetworkSnapshot snapshot;
    snapshot.default_routes =
        parse_default_routes(read_or_empty("/proc/net/route"), read_or_empty("/proc/net/ipv6_route"));

    std::set<std::string> route_devices;
    for (const auto& route : snapshot.default_routes) {
        route_devices.insert(route.substr(0, route.find(' ')));
    }

    std::set<std::string> addresses;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
        for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
            if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET ||
                (entry->ifa_flags & IFF_UP) == 0 || (entry->ifa_flags & IFF_LOOPBACK) != 0) {
                continue;
            }
            const std::string name = entry->ifa_name;
            if (!route_devices.empty() && route_devices.count(name) == 0) {
                continue;
            }
            char text[INET_ADDRSTRLEN] = {};
            const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
            if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) {
                addresses.insert(name + " " + text);
            }
        }
        ::freeifaddrs(list);
    }
    snapshot.addresses.assign(addresses.begin(), addresses.end());
    return snapshot;
}

} // namespace phantom::sys
