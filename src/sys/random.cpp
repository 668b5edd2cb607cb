// SPDX-License-Identifier: MIT
// Cryptographically strong random tokens (OpenSSL RAND_bytes).
#include <phantom/error.hpp>
#include <phantom/sys/base64.hpp>
#include <phantom/sys/random.hpp>

#include <openssl/rand.h>

#include <string>
#include <vector>

namespace phantom::sys {

std::string random_token(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        throw Error("the system random generator failed", "check that /dev/urandom is readable");
    }
    std::string encoded =
        base64_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    // URL-safe alphabet (RFC 4648 §5) so tokens need no quoting in URLs or shells.
    while (!encoded.empty() && encoded.back() == '=') {
        encoded.pop_back();
    }
    for (char& c : encoded) {
        if (c == '+') {
            c = '-';
        } else if (c == '/') {
            c = '_';
        }
    }
    return encoded;
}

} // namespace phantom::sys
