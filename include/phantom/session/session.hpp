// SPDX-License-Identifier: MIT
// A phantom session: from the loaded config to the child's ready environment.
#pragma once

#include <phantom/config/config.hpp>
#include <phantom/session/environment.hpp>
#include <phantom/sys/platform.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace phantom::session {

/// Where the daemon's bridge listens and the token it wants.
struct Bridge {
    std::uint16_t port = 0;
    std::string token;
};

/// The environment values for `config` (shadow home path, proxy URLs pointing at `bridge`,
/// NO_PROXY extras).
EnvironmentSpec environment_spec(const config::Config& config, const std::filesystem::path& home,
                                 const Bridge& bridge);

/// Ensures the shadow home for `config` (creating or repairing it; see sandbox.hpp) and
/// returns `parent` with phantom's variables applied. Throws phantom::Fatal on unsafe states.
sys::Environment prepare_session(const config::Config& config, const std::filesystem::path& home,
                                 const Bridge& bridge, const sys::Environment& parent);

} // namespace phantom::session
