// SPDX-License-Identifier: MIT
// Local TCP ports: is one free on 127.0.0.1, and which process holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace phantom::sys {

/// True when 127.0.0.1:`port` can be bound right now (SO_REUSEADDR, like ssh's -L).
bool loopback_port_free(std::uint16_t port) noexcept;

/// A free loopback port chosen by the kernel (bind to port 0).
std::optional<std::uint16_t> pick_free_loopback_port() noexcept;

/// Who listens on TCP `port`: "NAME (pid N)", when the OS lets us see it (Linux: the
/// socket inode from /proc/net/tcp{,6} matched against /proc/*/fd); nullopt otherwise.
std::optional<std::string> port_owner(std::uint16_t port);

} // namespace phantom::sys
