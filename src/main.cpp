// SPDX-License-Identifier: MIT
// phantom: parse, run, map errors to exit codes (design §3). All logic is in the library.
#include <phantom/error.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
    try {
        phantom::cli::Args args(argv + 1, argv + argc);
        phantom::cli::hide_secret_arguments(argc, argv);
        return phantom::cli::run_cli(args);
    } catch (const phantom::Fatal& e) {
        std::fprintf(stderr, "phantom: error: %s\n", e.what());
        if (!e.hint().empty()) {
            std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
        }
        return e.code();
    } catch (const phantom::Error& e) {
        std::fprintf(stderr, "phantom: error: %s\n", e.what());
        if (!e.hint().empty()) {
            std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
        }
        return phantom::exit_code::k_failure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "phantom: internal error: %s\n", e.what());
        return phantom::exit_code::k_software;
    }
}
