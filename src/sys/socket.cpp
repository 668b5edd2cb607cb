// SPDX-License-Identifier: MIT
// A non-blocking loopback TCP client whose every step is bounded by one deadline.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <phantom/sys/socket.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <netinet/in.h>
#include <poll.h>
#include <utility>

#include "sys/posix.hpp"

namespace phantom::sys {
namespace {

using posix::error_of;
using posix::last_error;

// Waits until `fd` is ready for `events` or the deadline passes (ETIMEDOUT). Readiness
// includes POLLERR/POLLHUP: the next call on the socket reports what happened.
boost::system::result<void> wait_for(int fd, short events, Deadline deadline) {
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return error_of(ETIMEDOUT);
        }
        // Round up: a timeout of 0 ms would spin until the deadline.
        const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
        pollfd entry{fd, events, 0};
        const int rc = ::poll(&entry, 1, static_cast<int>(std::min<long long>(remaining, INT_MAX)));
        if (rc < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        if (rc > 0) {
            return {};
        }
    }
}

int open_socket() {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    // macOS has neither flag: set both right after creation. The daemon spawns its children
    // from one thread, so no fork can slip in between.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return fd;
    }
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
#endif
}

} // namespace

LoopbackStream::LoopbackStream(LoopbackStream&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

LoopbackStream& LoopbackStream::operator=(LoopbackStream&& other) noexcept {
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

LoopbackStream::~LoopbackStream() {
    close();
}

void LoopbackStream::close() noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

boost::system::result<LoopbackStream> LoopbackStream::connect(std::uint16_t port, Deadline deadline) {
    LoopbackStream stream(open_socket());
    if (!stream.is_open()) {
        return last_error();
    }
#if defined(SO_NOSIGPIPE)
    // macOS has no MSG_NOSIGNAL: a write to a closed peer must not kill the daemon.
    const int on = 1;
    ::setsockopt(stream.m_fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(stream.m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
        return stream;
    }
    // EINTR on a non-blocking connect leaves the handshake running, like EINPROGRESS.
    if (errno != EINPROGRESS && errno != EINTR) {
        return last_error();
    }
    if (auto ready = wait_for(stream.m_fd, POLLOUT, deadline); !ready) {
        return ready.error();
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(stream.m_fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        return last_error();
    }
    if (error != 0) {
        return error_of(error);
    }
    return stream;
}

boost::system::result<void> LoopbackStream::write_all(std::span<const std::uint8_t> data, Deadline deadline) {
#if defined(MSG_NOSIGNAL)
    constexpr int k_flags = MSG_NOSIGNAL;
#else
    constexpr int k_flags = 0;
#endif
    while (!data.empty()) {
        const ssize_t n = ::send(m_fd, data.data(), data.size(), k_flags);
        if (n >= 0) {
            data = data.subspan(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return last_error();
        }
        if (auto ready = wait_for(m_fd, POLLOUT, deadline); !ready) {
            return ready.error();
        }
    }
    return {};
}

boost::system::result<std::size_t> LoopbackStream::read_exact(std::span<std::uint8_t> data,
                                                              Deadline deadline) {
    std::size_t got = 0;
    while (got < data.size()) {
        const ssize_t n = ::recv(m_fd, data.data() + got, data.size() - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) {
            return got;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return last_error();
        }
        if (auto ready = wait_for(m_fd, POLLIN, deadline); !ready) {
            return ready.error();
        }
    }
    return got;
}

} // namespace phantom::sys
