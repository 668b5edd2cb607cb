// SPDX-License-Identifier: MIT
// The one place errors become output and exit codes, shared by both executables' main().
#pragma once

#include <phantom/error.hpp>

#include <cstdio>
#include <exception>

namespace phantom {

/// Runs `body` and returns its exit code; a phantom::Fatal prints "PROGRAM: error: message"
/// and "hint: fix" and returns its code, phantom::Error the same with 1, anything else
/// "internal error" with 70.
template <class Body>
int guarded_main(const char* program, Body body) noexcept {
    const auto report = [program](const Error& e) {
        std::fprintf(stderr, "%s: error: %s\n", program, e.what());
        if (!e.hint().empty()) {
            std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
        }
    };
    try {
        return body();
    } catch (const Fatal& e) {
        report(e);
        return e.code();
    } catch (const Error& e) {
        report(e);
        return exit_code::k_failure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", program, e.what());
        return exit_code::k_software;
    }
}

} // namespace phantom
