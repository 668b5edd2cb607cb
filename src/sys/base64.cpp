// SPDX-License-Identifier: MIT
// Base64 (RFC 4648 §4) through Boost.Beast's codec, and a constant-time comparison for secrets.
// Not OpenSSL: linking libcrypto runs its CPU-feature probe (a dozen CPUID instructions, each a
// trap on a VM) at every start of every `phantom CMD` (issue 2), for two small functions.
#include <phantom/sys/base64.hpp>

#include <boost/beast/core/detail/base64.hpp>

namespace phantom::sys {

std::string base64_encode(std::string_view bytes) {
    namespace codec = boost::beast::detail::base64;
    std::string encoded(codec::encoded_size(bytes.size()), '\0');
    encoded.resize(codec::encode(encoded.data(), bytes.data(), bytes.size()));
    return encoded;
}

// The decoder alone is lenient (it stops at the first byte outside the alphabet and ignores
// the bits after the last full byte), so the text is accepted only when all of it was read
// and re-encoding gives back the input: one canonical spelling per value.
std::optional<std::string> base64_decode(std::string_view text) {
    namespace codec = boost::beast::detail::base64;
    if (text.empty() || text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string decoded(codec::decoded_size(text.size()), '\0');
    const auto [written, read] = codec::decode(decoded.data(), text.data(), text.size());
    std::size_t padding = 0;
    if (text.back() == '=') {
        padding = text[text.size() - 2] == '=' ? 2 : 1;
    }
    if (read + padding != text.size()) {
        return std::nullopt;
    }
    decoded.resize(written);
    if (base64_encode(decoded) != text) {
        return std::nullopt;
    }
    return decoded;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    // The length of the expected secret is not itself secret (the token length is fixed). The
    // loop always visits every byte and only ORs differences together; the volatile
    // accumulator keeps the compiler from turning it into an early-exit memcmp.
    if (a.size() != b.size()) {
        return false;
    }
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference = static_cast<unsigned char>(
            difference | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    }
    return difference == 0;
}

} // namespace phantom::sys
