// SPDX-License-Identifier: MIT
// ~/.phantom/known_hosts: the pinned host key of the team server (no trust on first use).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace phantom::config {

/// The known_hosts host pattern ssh looks up: "host" for port 22, else "[host]:port".
std::string known_hosts_pattern(const std::string& host, std::uint16_t port);

/// Writes `key` ("TYPE BASE64", validated) for host:port into `file` atomically (0600),
/// replacing earlier lines for the same pattern and keeping every other line.
/// Throws phantom::Fatal(78) on an invalid key or an unwritable file.
void pin_host_key(const std::filesystem::path& file, const std::string& host, std::uint16_t port,
                  const std::string& key);

} // namespace phantom::config
