// SPDX-License-Identifier: MIT
// `phantom help` and `phantom version`.
#include <phantom/config.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/process.hpp>

#include <iostream>

#include "cli/commands.hpp"

namespace phantom::cli {
namespace {

constexpr const char* k_usage = R"USAGE(usage: phantom COMMAND [ARGS…]
       phantom CMD [ARGS…]          run CMD with its traffic leaving from the team server

Commands:
  init      set up this machine (interactive, or --invite URI / flags with --yes)
  connect   start the tunnel daemon (--timeout SECONDS; --install-service: at every login)
  disconnect  stop it and everything it started
  status    show the tunnel (--json); exit 0 connected, 3 not connected, 1 degraded
  doctor    find what breaks your setup and say how to fix it (--json); exit 1 on a FAIL
  env       print the environment phantom gives a command (eval "$(phantom env)")
  shell     start your shell inside that environment
  run       run -- CMD [ARGS…]: same as `phantom CMD`, for commands named like a subcommand
  help      show this help (phantom COMMAND --help for a command's options)
  version   show versions of phantom, ssh and autossh

Anything else is run as a command: `phantom claude` = `phantom run -- claude`.
Files: ~/.phantom/config (PHANTOM_CONFIG overrides), ~/.phantom/known_hosts, ~/.phantom_env.
)USAGE";

/// First line of a tool's version output, or "not found".
std::string tool_version(const std::string& program, const std::string& flag) {
    auto result = sys::Process(program).arg(flag).run();
    if (!result) {
        return "not found";
    }
    // ssh -V prints to stderr; autossh -V to stdout.
    std::string text = result->err.empty() ? result->out : result->err;
    if (const auto nl = text.find('\n'); nl != std::string::npos) {
        text.resize(nl);
    }
    return text.empty() ? "unknown" : text;
}

} // namespace

int cmd_help(const Args& /*args*/) {
    std::cout << k_usage;
    return exit_code::k_ok;
}

int cmd_version(const Args& /*args*/) {
    std::cout << "phantom " << PHANTOM_VERSION << " (commit " << PHANTOM_GIT_COMMIT << ")\n"
              << "ssh: " << tool_version("ssh", "-V") << "\n"
              << "autossh: " << tool_version("autossh", "-V") << "\n";
    return exit_code::k_ok;
}

} // namespace phantom::cli
