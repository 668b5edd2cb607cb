// SPDX-License-Identifier: MIT
// Advisory whole-file locks (flock(2)) on close-on-exec descriptors.
#pragma once

#include <sys/types.h>

#include <boost/system/result.hpp>

#include <filesystem>

namespace phantom::sys {

/// Opens `path` (created with `mode` when missing; an existing file is tightened to `mode`)
/// and takes an exclusive, non-blocking flock on it. Returns the descriptor, which is
/// close-on-exec so no child process ever inherits the lock; the caller owns it and
/// releases the lock with unlock_file(). Fails with EWOULDBLOCK when any other open file
/// description holds the lock (including one in this process), ELOOP when `path` is a
/// symlink, EINVAL when it is not a regular file, ENOENT when the directory is missing.
boost::system::result<int> lock_file(const std::filesystem::path& path, mode_t mode);

/// Closes a descriptor returned by lock_file(), which releases its lock. Ignores -1.
void unlock_file(int fd) noexcept;

/// Whether some open file description holds an exclusive flock on `path`, tested by taking
/// a shared lock for an instant (never creates the file). False when the file is missing.
/// Fails when the file cannot be opened (permissions, symlink, not a regular file).
boost::system::result<bool> is_file_locked(const std::filesystem::path& path);

} // namespace phantom::sys
