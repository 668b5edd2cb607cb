// SPDX-License-Identifier: MIT
// A phantom session: from the loaded config to the child's ready environment.
#include <phantom/session/sandbox.hpp>
#include <phantom/session/session.hpp>

#include <fmt/format.h>

namespace phantom::session {

EnvironmentSpec environment_spec(const config::Config& config, const std::filesystem::path& home) {
    EnvironmentSpec spec;
    spec.shadow_home = config::expand_home(config.sandbox.home, home);
    // socks5h: the name is resolved at the far end of the tunnel, never locally.
    const std::string url = fmt::format("socks5h://127.0.0.1:{}", config.tunnel.local_port);
    spec.http_proxy_url = url;
    spec.all_proxy_url = url;
    spec.no_proxy_extra = config.options.no_proxy;
    return spec;
}

sys::Environment prepare_session(const config::Config& config, const std::filesystem::path& home,
                                 const sys::Environment& parent) {
    const EnvironmentSpec spec = environment_spec(config, home);
    ensure_shadow_home(SandboxLayout{home, spec.shadow_home, config.sandbox.isolate});
    return build_child_environment(parent, spec);
}

} // namespace phantom::session
