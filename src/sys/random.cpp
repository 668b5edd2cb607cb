// SPDX-License-Identifier: MIT
// Cryptographically strong random tokens from the kernel's CSPRNG (getentropy(3), the
// source OpenSSL seeds itself from). Not RAND_bytes: linking OpenSSL's provider machinery
// into the binary costs every `phantom CMD` start ~0.15 ms (its CPU probe; issue 2).
#include <sys/random.h> // getentropy: here on macOS, and on glibc >= 2.25 too

#include <phantom/error.hpp>
#include <phantom/sys/base64.hpp>
#include <phantom/sys/random.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace phantom::sys {

std::string random_token(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    // getentropy fills at most 256 bytes per call and blocks only until the pool is seeded.
    for (std::size_t done = 0; done < raw.size();) {
        const std::size_t chunk = std::min<std::size_t>(256, raw.size() - done);
        if (getentropy(raw.data() + done, chunk) != 0) {
            throw Error("the system random generator failed",
                        "check that getrandom(2) or /dev/urandom works");
        }
        done += chunk;
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
