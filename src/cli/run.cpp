// SPDX-License-Identifier: MIT
// `phantom CMD…` / `phantom run -- CMD…`: prepare the session, then exec the command.
#include <phantom/config/config.hpp>
#include <phantom/error.hpp>
#include <phantom/session/environment.hpp>
#include <phantom/session/exec.hpp>
#include <phantom/session/session.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/terminal.hpp>

#include "cli/commands.hpp"

namespace phantom::cli {

int cmd_run(const Args& command) {
    if (command.empty()) {
        throw Fatal(exit_code::k_usage, "no command given", "usage: phantom run -- CMD [ARGS…]");
    }
    sys::Environment parent = sys::current_environment();
    // Already inside phantom (an alias calling phantom again, a shell started by `phantom
    // shell`): the environment is already the session's, so run the command unchanged.
    if (parent.count(session::k_active_variable) != 0U) {
        session::exec_command(command, parent);
    }
    const auto home = sys::home_dir();
    const auto config = config::load_config(config::config_path(home));
    const auto bridge = session_bridge(config, home, sys::stderr_is_terminal());
    session::exec_command(command, session::prepare_session(config, home, bridge, parent));
}

} // namespace phantom::cli
