// SPDX-License-Identifier: MIT
// Catch2 v2 (Debian 12) / v3 (Homebrew) compatibility: tests include this, never Catch directly.
#pragma once

#if defined(PHANTOM_CATCH3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
