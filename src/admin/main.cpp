// SPDX-License-Identifier: MIT
// phantom-admin: parse, run, map errors to exit codes (design §4). All logic is in the library.
#include "admin_cli/commands.hpp"
#include "main_guard.hpp"

int main(int argc, char** argv) {
    return phantom::guarded_main("phantom-admin", [&] {
        return phantom::admin_cli::run_admin(std::vector<std::string>(argv + 1, argv + argc));
    });
}
