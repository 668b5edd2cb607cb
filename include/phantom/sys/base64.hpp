// SPDX-License-Identifier: MIT
// Base64 (RFC 4648 §4) through Boost.Beast's codec, and a constant-time comparison for secrets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phantom::sys {

/// Standard padded base64 of `bytes`.
std::string base64_encode(std::string_view bytes);

/// Strict decoding: padded, no whitespace, canonical (re-encoding gives back the input);
/// nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

/// Equality that takes the same time wherever the first difference is, for
/// comparing a presented secret with the expected one.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

} // namespace phantom::sys
