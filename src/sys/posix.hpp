// SPDX-License-Identifier: MIT
// Internal to sys/: errno as boost::system::error_code, and an owning file descriptor.
#pragma once

#include <unistd.h>

#include <boost/system/error_code.hpp>

#include <cerrno>
#include <utility>

namespace phantom::sys::posix {

/// errno as an error_code in system_category().
inline boost::system::error_code last_error() noexcept {
    return {errno, boost::system::system_category()};
}

/// An errno value as an error_code in system_category().
inline boost::system::error_code error_of(int code) noexcept {
    return {code, boost::system::system_category()};
}

/// Owns a file descriptor and closes it on destruction; -1 means none.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) noexcept : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const noexcept { return m_fd; }
    int release() noexcept { return std::exchange(m_fd, -1); }
    void reset(int fd = -1) noexcept {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = fd;
    }

private:
    int m_fd;
};

} // namespace phantom::sys::posix
