// SPDX-License-Identifier: MIT
// Resource limits of this process (setrlimit).
#include <sys/resource.h>

#include <phantom/sys/limits.hpp>

#include <algorithm>
#include <climits>

namespace phantom::sys {

std::uint64_t raise_open_files_limit(std::uint64_t wanted) noexcept {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 0;
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
        rlim_t ceiling = limit.rlim_max;
#ifdef OPEN_MAX
        // macOS: setrlimit refuses a soft limit above OPEN_MAX even when the hard limit is
        // RLIM_INFINITY (setrlimit(2), "COMPATIBILITY").
        ceiling = std::min<rlim_t>(ceiling, OPEN_MAX);
#endif
        rlimit raised = limit;
        raised.rlim_cur = std::min<rlim_t>(static_cast<rlim_t>(wanted), ceiling);
        if (raised.rlim_cur > limit.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            limit = raised;
        }
    }
    return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(limit.rlim_cur);
}

} // namespace phantom::sys
