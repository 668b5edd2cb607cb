// SPDX-License-Identifier: MIT
// One daemon per user: an flock(2) on ~/.phantom/run/lock held for the daemon's whole life.
#pragma once

#include <boost/system/result.hpp>

#include <filesystem>

namespace phantom::daemon {

/// An exclusive, non-blocking flock on a lock file (created 0600). The kernel drops it when
/// the holder exits, even on SIGKILL, so a stale lock file never blocks a new daemon. The
/// descriptor is close-on-exec: autossh and ssh never inherit the lock, so a tunnel that
/// outlives a crashed daemon does not keep the next one out. Moving transfers the lock;
/// destruction releases it.
class InstanceLock {
public:
    /// Takes the lock; the parent directory must exist, the file is created when missing
    /// and tightened to 0600. Fails with EWOULDBLOCK when it is held, by another process or
    /// by an earlier acquire() in this one (flock locks belong to the open file description);
    /// ELOOP when the file is a symlink; other errnos as open(2) reports them.
    static boost::system::result<InstanceLock> acquire(const std::filesystem::path& file);

    /// True when some process holds the lock, probed by taking a shared lock for an instant
    /// (a daemon starting at that very instant sees EWOULDBLOCK). Never creates the file;
    /// false when it is missing or cannot be opened (acquire() then reports why).
    static bool is_held(const std::filesystem::path& file);

    InstanceLock(InstanceLock&& other) noexcept;
    InstanceLock& operator=(InstanceLock&& other) noexcept;
    InstanceLock(const InstanceLock&) = delete;
    InstanceLock& operator=(const InstanceLock&) = delete;
    ~InstanceLock();

private:
    explicit InstanceLock(int fd) noexcept : m_fd(fd) {}
    int m_fd = -1;
};

} // namespace phantom::daemon
