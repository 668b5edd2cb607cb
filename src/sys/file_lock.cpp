// SPDX-License-Identifier: MIT
// Advisory whole-file locks (flock(2)) on close-on-exec descriptors.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/sys/file_lock.hpp>

#include <cerrno>
#include <utility>

#include "sys/posix.hpp"

namespace phantom::sys {
namespace {

using posix::error_of;
using posix::last_error;

// result<bool> would take an error_code for its value (error_code converts to bool).
boost::system::result<bool> failed(const boost::system::error_code& ec) {
    return {boost::system::in_place_error, ec};
}

// O_CLOEXEC at open(2) rather than a later fcntl: another thread forking in between would
// otherwise hand the lock to its child (autossh), keeping it alive after the daemon dies.
// O_NOFOLLOW: the lock lives in a private directory, a symlink there is not ours to follow.
// O_NONBLOCK: opening a FIFO planted at the path would otherwise hang; flock ignores it.
constexpr int k_open_flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

class Fd {
public:
    explicit Fd(int fd) noexcept : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { unlock_file(m_fd); }
    [[nodiscard]] int get() const noexcept { return m_fd; }
    int release() noexcept { return std::exchange(m_fd, -1); }

private:
    int m_fd;
};

// The permission bits of a regular file; EINVAL for anything else (a directory, a FIFO).
boost::system::result<mode_t> regular_file_mode(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return last_error();
    }
    if (!S_ISREG(st.st_mode)) {
        return error_of(EINVAL);
    }
    return static_cast<mode_t>(st.st_mode & 07777);
}

// flock(2) can be interrupted by a signal only when blocking, but retrying is harmless.
int flock_retrying(int fd, int operation) {
    int rc = 0;
    do {
        rc = ::flock(fd, operation);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

} // namespace

boost::system::result<int> lock_file(const std::filesystem::path& path, mode_t mode) {
    Fd fd(::open(path.c_str(), k_open_flags | O_CREAT, mode));
    if (fd.get() < 0) {
        return last_error();
    }
    const auto current = regular_file_mode(fd.get());
    if (!current) {
        return current.error();
    }
    // open(2) applies the umask and leaves an existing file's mode alone.
    if (*current != mode && ::fchmod(fd.get(), mode) != 0) {
        return last_error();
    }
    if (flock_retrying(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        return last_error();
    }
    return fd.release();
}

void unlock_file(int fd) noexcept {
    if (fd >= 0) {
        // Closing the last descriptor of the open file description drops the flock; a
        // retry after EINTR could close an unrelated descriptor (POSIX leaves it unspecified).
        ::close(fd);
    }
}

boost::system::result<bool> is_file_locked(const std::filesystem::path& path) {
    Fd fd(::open(path.c_str(), k_open_flags));
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return false;
        }
        return failed(last_error());
    }
    if (auto current = regular_file_mode(fd.get()); !current) {
        return failed(current.error());
    }
    // A shared probe conflicts with the holder's exclusive lock but not with another probe,
    // so two concurrent `status` never see each other as the daemon.
    if (flock_retrying(fd.get(), LOCK_SH | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return true;
        }
        return failed(last_error());
    }
    return false;
}

} // namespace phantom::sys
