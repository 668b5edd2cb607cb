// SPDX-License-Identifier: MIT
// Internal to sys/: the program and environment of a child, shared by Process and spawn().
#pragma once

#include <phantom/sys/platform.hpp>

#include <boost/process/environment.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace phantom::sys::detail {

/// `name` found on the PATH the child will have: that of `env` when given, else this
/// process's. A missing PATH means execvp's default search ("/usr/bin:/bin").
std::optional<std::filesystem::path> find_child_program(const std::string& name,
                                                        const std::optional<Environment>& env);

/// `env` as Boost.Process wants it; this process's environment when not given.
boost::process::environment child_environment(const std::optional<Environment>& env);

} // namespace phantom::sys::detail
