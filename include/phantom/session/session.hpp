// SPDX-License-Identifier: MIT
// A phantom session: from the loaded config to the child's ready environment.
#pragma once

#include <phantom/config/config.hpp>
#include <phantom/session/environment.hpp>
#include <phantom/sys/platform.hpp>

#include <filesystem>

namespace phantom::session {

/// The environment values for `config` (shadow home path, proxy URLs, NO_PROXY extras).
EnvironmentSpec environment_spec(const config::Config& config, const std::filesystem::path& home);

/// Ensures the shadow home for `config` (creating or repairing it; see sandbox.hpp) and
/// returns `parent` with phantom's variables applied. Throws phantom::Fatal on unsafe states.
sys::Environment prepare_session(const config::Config& config, const std::filesystem::path& home,
                                 const sys::Environment& parent);

} // namespace phantom::session
