// SPDX-License-Identifier: MIT
// Test runner entry point for Catch2 v2; v3 links Catch2WithMain instead.
#if !defined(PHANTOM_CATCH3)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
