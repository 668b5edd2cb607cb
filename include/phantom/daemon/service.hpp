// SPDX-License-Identifier: MIT
// Starting the daemon at login: a launchd agent (macOS) or a systemd user unit (Linux) that
// runs `phantom connect --foreground`.
#pragma once

#include <phantom/sys/platform.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace phantom::daemon {

/// Which service manager the unit is for.
enum class ServiceManager { systemd, launchd };

/// The launchd label and the systemd unit name.
inline constexpr const char* k_launchd_label = "dev.phantom.connect";
inline constexpr const char* k_systemd_unit = "phantom.service";

/// Where the unit lives: ~/Library/LaunchAgents/dev.phantom.connect.plist, or
/// $XDG_CONFIG_HOME/systemd/user/phantom.service (XDG_CONFIG_HOME defaults to ~/.config).
std::filesystem::path service_file(ServiceManager manager, const std::filesystem::path& home,
                                   const sys::Environment& env);

/// The unit's text: runs `phantom connect --foreground` from `phantom` (an absolute path,
/// kept as given so that a package manager's stable symlink survives upgrades), restarts it
/// after a failure, with PATH starting at `phantom`'s directory so that the ssh and autossh
/// installed beside it are found; with `config`, PHANTOM_CONFIG points the daemon at it.
/// Throws phantom::Error when a path is relative or holds characters the unit formats
/// cannot carry (quotes, backslashes, '$', control characters).
std::string service_text(ServiceManager manager, const std::filesystem::path& phantom,
                         const std::filesystem::path& home,
                         const std::optional<std::filesystem::path>& config = std::nullopt);

} // namespace phantom::daemon
