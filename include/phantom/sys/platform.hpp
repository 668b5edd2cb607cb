// SPDX-License-Identifier: MIT
// The running user and system: home, uid, shell, environment, OS family.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace phantom::sys {

/// A process environment as name -> value.
using Environment = std::map<std::string, std::string>;

/// True on macOS builds; chosen by CMake (platform_macos.cpp / platform_linux.cpp).
bool is_macos() noexcept;

/// The absolute path of the running executable (symlinks resolved); nullopt when the OS
/// does not say.
std::optional<std::filesystem::path> executable_path();

/// Short OS name for messages ("linux", "macos").
const char* platform_name() noexcept;

/// $HOME when set and absolute, else the passwd entry's home. Throws phantom::Error when
/// neither exists.
std::filesystem::path home_dir();

/// This process's id (also what makes temporary entry names unique).
int current_pid() noexcept;

/// The effective uid.
uid_t current_uid() noexcept;

/// The uid and primary gid of the account `name` (getpwnam), or nullopt when there is none.
std::optional<std::pair<uid_t, gid_t>> account_ids(const std::string& name);

/// Value of an environment variable, if set (even when empty).
std::optional<std::string> get_env(const char* name);

/// A snapshot of this process's environment.
Environment current_environment();

/// The user's shell: $SHELL, else the passwd entry, else /bin/sh.
std::string user_shell();

} // namespace phantom::sys
