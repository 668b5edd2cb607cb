// SPDX-License-Identifier: MIT
// The hijacking exec: replace phantom with the user's command in the prepared environment.
#include <phantom/error.hpp>
#include <phantom/session/exec.hpp>
#include <phantom/sys/process.hpp>

#include <fmt/format.h>

#include <cerrno>

namespace phantom::session {

void exec_command(const std::vector<std::string>& argv, const sys::Environment& env) {
    if (argv.empty()) {
        throw Fatal(exit_code::k_usage, "no command given",
                    "usage: phantom CMD [ARGS…] or phantom run -- CMD [ARGS…]");
    }
    sys::Process process(argv.front());
    process.args(std::vector<std::string>(argv.begin() + 1, argv.end())).environment(env);
    const auto error = process.exec();
    // Same codes and wording as a POSIX shell (XCU 2.8.2): 127 not found, 126 not runnable.
    if (error.value() == ENOENT) {
        throw Fatal(exit_code::k_command_not_found, fmt::format("{}: command not found", argv.front()),
                    "check the spelling, or that it is on your PATH");
    }
    throw Fatal(exit_code::k_cannot_execute, fmt::format("{}: {}", argv.front(), error.message()),
                "check that the file is an executable you may run");
}

} // namespace phantom::session
