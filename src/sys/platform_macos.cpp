// SPDX-License-Identifier: MIT
// macOS specifics of the platform interface.
#include <phantom/sys/platform.hpp>

#include <cstdint>
#include <cstring>
#include <mach-o/dyld.h>
#include <string>

namespace phantom::sys {

bool is_macos() noexcept {
    return true;
}

std::optional<std::filesystem::path> executable_path() {
    std::uint32_t size = 0;
    _NSGetExecutablePath(nullptr, &size); // reports the size needed
    std::string buffer(size, '\0');
    if (_NSGetExecutablePath(buffer.data(), &size) != 0) {
        return std::nullopt;
    }
    buffer.resize(std::strlen(buffer.c_str()));
    std::error_code ec;
    auto path = std::filesystem::canonical(buffer, ec);
    if (ec) {
        return std::nullopt;
    }
    return path;
}

const char* platform_name() noexcept {
    return "macos";
}

} // namespace phantom::sys
