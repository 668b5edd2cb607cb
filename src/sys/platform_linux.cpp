// SPDX-License-Identifier: MIT
// Linux specifics of the platform interface.
#include <phantom/sys/platform.hpp>

namespace phantom::sys {

bool is_macos() noexcept {
    return false;
}

std::optional<std::filesystem::path> executable_path() {
    std::error_code ec;
    auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return std::nullopt;
    }
    return path;
}

const char* platform_name() noexcept {
    return "linux";
}

} // namespace phantom::sys
