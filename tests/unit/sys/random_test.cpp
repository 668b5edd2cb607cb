// SPDX-License-Identifier: MIT
// Random tokens: length, URL-safe alphabet, no repeats.
#include <phantom/sys/random.hpp>

#include <set>
#include <string>

#include "catch.hpp"

TEST_CASE("tokens are URL-safe base64 of the requested entropy and do not repeat", "[random]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string token = phantom::sys::random_token(16);
        CHECK(token.size() == 22); // 128 bits, base64 without padding
        CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        seen.insert(token);
    }
    CHECK(seen.size() == 1000);
    CHECK(phantom::sys::random_token(32).size() == 43);
}
