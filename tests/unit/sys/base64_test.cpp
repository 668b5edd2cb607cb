// SPDX-License-Identifier: MIT
// Base64: RFC 4648 §10 vectors, strict decoding of every non-canonical spelling, and the
// constant-time comparison's results.
#include <phantom/sys/base64.hpp>
#include <phantom/sys/random.hpp>

#include <string>

#include "catch.hpp"

using phantom::sys::base64_decode;
using phantom::sys::base64_encode;
using phantom::sys::constant_time_equal;

TEST_CASE("base64 encodes and decodes the RFC 4648 test vectors", "[base64]") {
    const std::pair<const char*, const char*> vectors[] = {{"f", "Zg=="},         {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},       {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    CHECK(base64_encode("").empty());
    for (const auto& [plain, encoded] : vectors) {
        CHECK(base64_encode(plain) == encoded);
        CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
    }
    // All 256 byte values, and the two characters that differ from the URL-safe alphabet.
    std::string all;
    for (int c = 0; c < 256; ++c) {
        all.push_back(static_cast<char>(c));
    }
    CHECK(base64_decode(base64_encode(all)) == all);
    CHECK(base64_encode("\xfb\xff") == "+/8=");
    CHECK(base64_encode(std::string("phantom:\0tok", 12)) == "cGhhbnRvbToAdG9r");
}

TEST_CASE("base64 decoding accepts only the canonical spelling", "[base64]") {
    const char* rejected[] = {
        "",       // nothing
        "Zg",     // unpadded
        "Zg=",    // short padding
        "Zm9v\n", // whitespace
        " Zm9v",  // leading space
        "Zm9\n",  // the same at lengths the decoder has to read (multiples of 4)
        " Zm9",     "Zm9v Zg=", "Zm9vYg\n=",
        "Zm 9v",    // inner space
        "Zg==Zg==", // padding in the middle
        "Z===",     // too much padding
        "====",     // padding only
        "Zh==",     // non-zero bits after the last byte
        "Zm9=",     // the same in a two-byte group
        "Zm9v!A==", // outside the alphabet
        "Zm9-",     // URL-safe alphabet is not standard base64
        "Zm9_",
    };
    for (const char* text : rejected) {
        INFO(text);
        CHECK_FALSE(base64_decode(text).has_value());
    }
    CHECK_FALSE(base64_decode(std::string("Zm\0v", 4)).has_value());
}

TEST_CASE("constant-time comparison is plain equality in its results", "[base64]") {
    const std::string token = phantom::sys::random_token(24);
    CHECK(constant_time_equal(token, token));
    CHECK(constant_time_equal("", ""));
    CHECK_FALSE(constant_time_equal(token, token.substr(1)));
    CHECK_FALSE(constant_time_equal(token, token + "x"));
    for (std::size_t i = 0; i < token.size(); ++i) {
        std::string changed = token;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        CHECK_FALSE(constant_time_equal(token, changed));
    }
    CHECK_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}
