// SPDX-License-Identifier: MIT
// macOS specifics of the platform interface.
#include <phantom/sys/platform.hpp>

namespace phantom::sys {

bool is_macos() noexcept {
    return true;
}

const char* platform_name() noexcept {
    return "macos";
}

} // namespace phantom::sys
