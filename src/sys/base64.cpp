// SPDX-License-Identifier: MIT
// Base64 (RFC 4648 §4) through OpenSSL, and a constant-time comparison for secrets.
#include <phantom/sys/base64.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace phantom::sys {

std::string base64_encode(std::string_view bytes) {
    std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0'); // EVP_EncodeBlock adds a NUL
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    encoded.resize(static_cast<std::size_t>(std::max(n, 0)));
    return encoded;
}

// EVP_DecodeBlock alone is lenient: it decodes '=' as zero bits wherever it appears and
// keeps the padding bytes in its count, so the text is accepted only when re-encoding
// gives back the input.
std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<unsigned char> decoded(text.size() / 4 * 3);
    const int decoded_length = EVP_DecodeBlock(
        decoded.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (decoded_length < 0 || static_cast<std::size_t>(decoded_length) != decoded.size()) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    if (text.back() == '=') {
        padding = text[text.size() - 2] == '=' ? 2 : 1;
    }
    std::string result(decoded.begin(), decoded.end() - static_cast<std::ptrdiff_t>(padding));
    if (base64_encode(result) != text) {
        return std::nullopt;
    }
    return result;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    // The length of the expected secret is not itself secret (the token length is fixed).
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace phantom::sys
