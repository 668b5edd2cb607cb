// SPDX-License-Identifier: MIT
// A non-blocking loopback TCP client whose every step is bounded by one deadline.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace phantom::sys {

/// The instant by which a whole exchange must be over (connect, writes and reads alike).
using Deadline = std::chrono::steady_clock::time_point;

/// A connected TCP socket to 127.0.0.1, close-on-exec, owning its descriptor (closed on
/// destruction). Errors are errno values in the system category; a passed deadline is
/// ETIMEDOUT. Writing to a closed peer yields EPIPE/ECONNRESET, never SIGPIPE.
class LoopbackStream {
public:
    LoopbackStream() noexcept = default;
    LoopbackStream(LoopbackStream&& other) noexcept;
    LoopbackStream& operator=(LoopbackStream&& other) noexcept;
    LoopbackStream(const LoopbackStream&) = delete;
    LoopbackStream& operator=(const LoopbackStream&) = delete;
    ~LoopbackStream();

    /// Connects to 127.0.0.1:`port` without blocking past `deadline`. ECONNREFUSED when
    /// nothing listens; ETIMEDOUT when the handshake does not finish in time.
    static boost::system::result<LoopbackStream> connect(std::uint16_t port, Deadline deadline);

    /// Writes all of `data`, or fails (ETIMEDOUT at the deadline).
    boost::system::result<void> write_all(std::span<const std::uint8_t> data, Deadline deadline);

    /// Reads until `data` is full or the peer closes; returns the bytes read (fewer than
    /// `data.size()` means end of stream). ETIMEDOUT at the deadline.
    boost::system::result<std::size_t> read_exact(std::span<std::uint8_t> data, Deadline deadline);

    [[nodiscard]] bool is_open() const noexcept { return m_fd >= 0; }

private:
    explicit LoopbackStream(int fd) noexcept : m_fd(fd) {}
    void close() noexcept;

    int m_fd = -1;
};

} // namespace phantom::sys
