// SPDX-License-Identifier: MIT
// Linux specifics of the platform interface.
#include <phantom/sys/platform.hpp>

namespace phantom::sys {

bool is_macos() noexcept {
    return false;
}

const char* platform_name() noexcept {
    return "linux";
}

} // namespace phantom::sys
