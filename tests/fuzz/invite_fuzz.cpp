// SPDX-License-Identifier: MIT
// libFuzzer target: parse_invite on arbitrary bytes, and format/parse agreement on what it accepts.
#include <phantom/config/invite.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <tuple>

namespace {

bool same(const phantom::config::Invite& a, const phantom::config::Invite& b) {
    return std::tie(a.socks_user, a.password, a.host, a.ssh_port, a.mode, a.socks_port, a.tunnel_user,
                    a.host_key, a.dante_host) == std::tie(b.socks_user, b.password, b.host, b.ssh_port,
                                                          b.mode, b.socks_port, b.tunnel_user, b.host_key,
                                                          b.dante_host);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = phantom::config::parse_invite(text);
    if (!parsed) {
        return 0;
    }
    const auto reparsed = phantom::config::parse_invite(phantom::config::format_invite(*parsed));
    if (!reparsed || !same(*parsed, *reparsed)) {
        std::abort();
    }
    return 0;
}
