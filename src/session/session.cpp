// SPDX-License-Identifier: MIT
// A phantom session: from the loaded config to the child's ready environment.
#include <phantom/session/sandbox.hpp>
#include <phantom/session/session.hpp>

#include <fmt/format.h>

namespace phantom::session {

EnvironmentSpec environment_spec(const config::Config& config, const std::filesystem::path& home,
                                 const Bridge& bridge) {
    EnvironmentSpec spec;
    spec.shadow_home = config::expand_home(config.sandbox.home, home);
    // HTTP proxy URLs for the many tools that speak nothing else (the Claude Code CLI refuses
    // socks5h://); they send the host name in CONNECT, so nothing is resolved locally.
    // socks5h (not socks5) for ALL_PROXY: the name goes to the bridge, which resolves nothing.
    // The token is URL-safe base64, so it needs no escaping in the userinfo.
    spec.http_proxy_url = fmt::format("http://phantom:{}@127.0.0.1:{}", bridge.token, bridge.port);
    spec.all_proxy_url = fmt::format("socks5h://phantom:{}@127.0.0.1:{}", bridge.token, bridge.port);
    spec.no_proxy_extra = config.options.no_proxy;
    return spec;
}

sys::Environment prepare_session(const config::Config& config, const std::filesystem::path& home,
                                 const Bridge& bridge, const sys::Environment& parent) {
    const EnvironmentSpec spec = environment_spec(config, home, bridge);
    ensure_shadow_home(SandboxLayout{home, spec.shadow_home, config.sandbox.isolate});
    return build_child_environment(parent, spec);
}

} // namespace phantom::session
