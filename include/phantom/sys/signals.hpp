// SPDX-License-Identifier: MIT
// Synchronous signal handling for the daemon loop: block a set, then wait with a timeout.
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>

namespace phantom::sys {

/// Blocks the given signals for this (single-threaded) process on construction and
/// restores the previous mask on destruction; wait() takes them synchronously, so no
/// async-signal-safety concerns arise in the daemon.
class BlockedSignals {
public:
    explicit BlockedSignals(std::initializer_list<int> signals);
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;
    ~BlockedSignals();

    /// Waits up to `timeout` for one of the signals; nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace phantom::sys
