// SPDX-License-Identifier: MIT
// Cryptographically strong random tokens (the kernel CSPRNG through getentropy).
#pragma once

#include <cstddef>
#include <string>

namespace phantom::sys {

/// `bytes` random bytes from the kernel's CSPRNG, encoded as URL-safe base64 without padding.
/// Throws phantom::Error when the CSPRNG fails (never returns weak bytes).
std::string random_token(std::size_t bytes);

} // namespace phantom::sys
