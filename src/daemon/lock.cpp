// SPDX-License-Identifier: MIT
// One daemon per user: an flock(2) on ~/.phantom/run/lock held for the daemon's whole life.
#include <phantom/daemon/lock.hpp>
#include <phantom/sys/file_lock.hpp>

#include <utility>

namespace phantom::daemon {
namespace {

constexpr mode_t k_lock_mode = 0600;

} // namespace

boost::system::result<InstanceLock> InstanceLock::acquire(const std::filesystem::path& file) {
    auto fd = sys::lock_file(file, k_lock_mode);
    if (!fd) {
        return fd.error();
    }
    return InstanceLock(*fd);
}

bool InstanceLock::is_held(const std::filesystem::path& file) {
    const auto locked = sys::is_file_locked(file);
    return locked && *locked;
}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

InstanceLock& InstanceLock::operator=(InstanceLock&& other) noexcept {
    if (this != &other) {
        sys::unlock_file(std::exchange(m_fd, std::exchange(other.m_fd, -1)));
    }
    return *this;
}

InstanceLock::~InstanceLock() {
    sys::unlock_file(m_fd);
}

} // namespace phantom::daemon
