// SPDX-License-Identifier: MIT
// `phantom env` prints the session's variables as export lines; `phantom shell` starts the
// user's shell inside the session.
#include <phantom/config/config.hpp>
#include <phantom/error.hpp>
#include <phantom/session/environment.hpp>
#include <phantom/session/exec.hpp>
#include <phantom/session/sandbox.hpp>
#include <phantom/session/session.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/terminal.hpp>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"

namespace po = boost::program_options;

namespace phantom::cli {
namespace {

session::ShellSyntax shell_syntax(const std::string& name) {
    if (name == "sh" || name == "dash" || name == "ksh") {
        return session::ShellSyntax::sh;
    }
    if (name == "bash") {
        return session::ShellSyntax::bash;
    }
    if (name == "zsh") {
        return session::ShellSyntax::zsh;
    }
    if (name == "fish") {
        return session::ShellSyntax::fish;
    }
    throw Fatal(exit_code::k_usage, fmt::format("unknown shell \"{}\"", name),
                "use --shell sh, bash, zsh or fish");
}

} // namespace

int cmd_env(const Args& args) {
    po::options_description options("phantom env [--shell sh|bash|zsh|fish]");
    std::string shell;
    options.add_options()("shell", po::value(&shell),
                          "syntax of the export lines (default: from $SHELL)")("help,h", "show this help");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(options).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw Fatal(exit_code::k_usage, e.what(), "usage: phantom env [--shell sh|bash|zsh|fish]");
    }
    if (vm.count("help") != 0U) {
        std::cout << "Print the environment `phantom CMD` gives a command, as export lines:\n"
                  << "  eval \"$(phantom env)\"      (fish: phantom env --shell fish | source)\n\n"
                  << options;
        return exit_code::k_ok;
    }
    if (shell.empty()) {
        shell = std::filesystem::path(sys::user_shell()).filename().string();
        if (shell != "fish") {
            shell = "sh";
        }
    }
    const auto syntax = shell_syntax(shell);
    const auto home = sys::home_dir();
    const auto config = config::load_config(config::config_path(home));
    const auto spec =
        session::environment_spec(config, home, session_bridge(config, home, sys::stderr_is_terminal()));
    // The printed HOME must exist when the lines are eval'ed.
    session::ensure_shadow_home(session::SandboxLayout{home, spec.shadow_home, config.sandbox.isolate});
    std::cout << session::render_exports(session::phantom_variables(spec), syntax);
    return exit_code::k_ok;
}

int cmd_shell(const Args& args) {
    if (!args.empty()) {
        if (args.front() == "--help" || args.front() == "-h") {
            std::cout << "phantom shell: start your shell ($SHELL) with the phantom environment;\n"
                         "everything run in it goes through the tunnel. `exit` leaves it.\n";
            return exit_code::k_ok;
        }
        throw Fatal(exit_code::k_usage,
                    fmt::format("phantom shell takes no arguments (got \"{}\")", args.front()),
                    "to run one command: phantom run -- CMD [ARGS…]");
    }
    return cmd_run({sys::user_shell()});
}

} // namespace phantom::cli
