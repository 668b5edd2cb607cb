// SPDX-License-Identifier: MIT
// Synchronous signal handling for the daemon loop: block a set, then wait with a timeout.
#include <signal.h>

#include <phantom/sys/signals.hpp>

#include <algorithm>
#include <cerrno>
#include <time.h>

namespace phantom::sys {

struct BlockedSignals::Impl {
    sigset_t set{};
    sigset_t previous{};
};

BlockedSignals::BlockedSignals(std::initializer_list<int> signals) : m_impl(std::make_unique<Impl>()) {
    sigemptyset(&m_impl->set);
    for (const int s : signals) {
        sigaddset(&m_impl->set, s);
    }
    sigprocmask(SIG_BLOCK, &m_impl->set, &m_impl->previous);
}

BlockedSignals::~BlockedSignals() {
    sigprocmask(SIG_SETMASK, &m_impl->previous, nullptr);
}

std::optional<int> BlockedSignals::wait(std::chrono::milliseconds timeout) {
#if defined(__linux__)
    const auto ms = timeout.count() < 0 ? 0 : timeout.count();
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
    for (;;) {
        const int s = ::sigtimedwait(&m_impl->set, nullptr, &ts);
        if (s >= 0) {
            return s;
        }
        if (errno == EINTR) {
            continue;
        }
        return std::nullopt;
    }
#else
    // macOS has no sigtimedwait: poll sigpending in short sleeps (the loop wakes every
    // 50 ms at most; the daemon's ticks are seconds apart).
    auto left = timeout;
    for (;;) {
        sigset_t pending;
        sigpending(&pending);
        for (int s = 1; s < NSIG; ++s) {
            if (sigismember(&m_impl->set, s) && sigismember(&pending, s)) {
                int taken = 0;
                sigset_t one;
                sigemptyset(&one);
                sigaddset(&one, s);
                sigwait(&one, &taken);
                return taken;
            }
        }
        if (left.count() <= 0) {
            return std::nullopt;
        }
        const auto step = std::min(left, std::chrono::milliseconds(50));
        timespec ts{0, static_cast<long>(step.count() * 1000000)};
        nanosleep(&ts, nullptr);
        left -= step;
    }
#endif
}

} // namespace phantom::sys
