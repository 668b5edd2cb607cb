// SPDX-License-Identifier: MIT
// The hijacking exec: replace phantom with the user's command in the prepared environment.
#pragma once

#include <phantom/sys/platform.hpp>

#include <string>
#include <vector>

namespace phantom::session {

/// execvp()s `argv` (argv[0] searched on the PATH of `env`) with exactly `env`. Returns
/// only on failure, by throwing phantom::Fatal: 127 "CMD: command not found" when it is
/// not on PATH, 126 when it exists but cannot be executed.
[[noreturn]] void exec_command(const std::vector<std::string>& argv, const sys::Environment& env);

} // namespace phantom::session
