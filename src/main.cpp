// SPDX-License-Identifier: MIT
// phantom: parse, run, map errors to exit codes (design §3). All logic is in the library.
#include "cli/commands.hpp"
#include "main_guard.hpp"

int main(int argc, char** argv) {
    return phantom::guarded_main("phantom", [&] {
        phantom::cli::Args args(argv + 1, argv + argc);
        phantom::cli::hide_secret_arguments(argc, argv);
        return phantom::cli::run_cli(args);
    });
}
