// SPDX-License-Identifier: MIT
// Subcommand dispatch: known names go to their command, anything else is `run -- …`.
#include <phantom/error.hpp>

#include <fmt/format.h>

#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"

namespace phantom::cli {

void hide_secret_arguments(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        char* secret = nullptr;
        if (arg == "--invite" && i + 1 < argc) {
            secret = argv[i + 1];
        } else if (arg.rfind("--invite=", 0) == 0) {
            secret = argv[i] + std::strlen("--invite=");
        }
        // "-" means "read it from stdin": nothing to hide.
        if (secret != nullptr && std::strcmp(secret, "-") != 0) {
            std::memset(secret, 'x', std::strlen(secret));
        }
    }
}

int run_cli(const Args& args) {
    if (args.empty()) {
        return cmd_help(args);
    }
    const std::string_view name = args.front();
    const Args rest(args.begin() + 1, args.end());
    // `phantom CMD` is the hot path: a handful of string compares, nothing parsed eagerly.
    if (name == "run") {
        if (!rest.empty() && (rest.front() == "--help" || rest.front() == "-h")) {
            std::cout << "phantom run [--] CMD [ARGS…]: run CMD with its traffic leaving from the team "
                         "server (same "
                         "as `phantom CMD`;\n`--` lets CMD be named like a subcommand or start with -).\n";
            return exit_code::k_ok;
        }
        if (!rest.empty() && rest.front() == "--") {
            return cmd_run(Args(rest.begin() + 1, rest.end()));
        }
        return cmd_run(rest);
    }
    if (name == "init") {
        return cmd_init(rest);
    }
    if (name == "connect") {
        return cmd_connect(rest);
    }
    if (name == "disconnect") {
        return cmd_disconnect(rest);
    }
    if (name == "status") {
        return cmd_status(rest);
    }
    if (name == "doctor") {
        return cmd_doctor(rest);
    }
    if (name == "env") {
        return cmd_env(rest);
    }
    if (name == "shell") {
        return cmd_shell(rest);
    }
    if (name == "help" || name == "--help" || name == "-h") {
        return cmd_help(rest);
    }
    if (name == "version" || name == "--version" || name == "-V") {
        return cmd_version(rest);
    }
    if (name == "--") {
        return cmd_run(rest);
    }
    if (name.size() > 1 && name.front() == '-') {
        throw Fatal(exit_code::k_usage, fmt::format("unknown option {}", name),
                    "run `phantom help`; to run a command through phantom: phantom run -- CMD");
    }
    return cmd_run(args);
}

} // namespace phantom::cli
