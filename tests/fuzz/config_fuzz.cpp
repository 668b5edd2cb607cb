// SPDX-License-Identifier: MIT
// libFuzzer target: parse_config on arbitrary bytes may only succeed or throw phantom::Error.
#include <phantom/config/config.hpp>
#include <phantom/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)phantom::config::parse_config(text, "fuzz");
    } catch (const phantom::Error&) {
        // Rejected input is the expected outcome; any other exception escapes and is a finding.
    }
    return 0;
}
