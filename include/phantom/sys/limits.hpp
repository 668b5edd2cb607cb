// SPDX-License-Identifier: MIT
// Resource limits of this process: the open-file limit the bridge needs.
#pragma once

#include <cstdint>

namespace phantom::sys {

/// Raises this process's soft limit on open files (RLIMIT_NOFILE) to `wanted`, or as close
/// as the hard limit (and, on macOS, OPEN_MAX) allows; never lowers it. Returns the soft
/// limit in effect afterwards (0 when it cannot be read). macOS starts processes at 256,
/// fewer than one bridge at its default connection limit needs.
std::uint64_t raise_open_files_limit(std::uint64_t wanted) noexcept;

} // namespace phantom::sys
