// SPDX-License-Identifier: MIT
// The `alias claude='phantom claude'` line in the user's shell rc file (only when asked).
#pragma once

#include <filesystem>
#include <string>

namespace phantom::config {

/// The rc file of the shell at `shell_path` under `home`: ~/.bashrc, ~/.zshrc,
/// ~/.config/fish/config.fish, else ~/.profile.
std::filesystem::path shell_rc_file(const std::string& shell_path, const std::filesystem::path& home);

/// The alias line for `command` in that shell's syntax.
std::string alias_line(const std::string& shell_path, const std::string& command);

/// Appends alias_line() to `rc` unless an identical line is already there. Returns true
/// when it appended. Never rewrites existing content. Throws phantom::Error when unwritable.
bool add_alias(const std::filesystem::path& rc, const std::string& shell_path, const std::string& command);

} // namespace phantom::config
