// SPDX-License-Identifier: MIT
// `phantom connect --install-service` / `--uninstall-service`: the daemon started at login by
// launchd (macOS) or the user's systemd (Linux).
#include <phantom/config/config.hpp>
#include <phantom/daemon/daemon.hpp>
#include <phantom/daemon/service.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/process.hpp>

#include <fmt/format.h>

#include <iostream>
#include <thread>

#include "cli/commands.hpp"

namespace phantom::cli {
namespace {

using daemon::ServiceManager;

ServiceManager this_manager() {
    return sys::is_macos() ? ServiceManager::launchd : ServiceManager::systemd;
}

/// Runs a service-manager command; the first line of what it said when it failed.
std::optional<std::string> manage(const std::vector<std::string>& argv) {
    const auto r = sys::Process(argv.front())
                       .args(std::vector<std::string>(argv.begin() + 1, argv.end()))
                       .timeout(std::chrono::seconds(30))
                       .run();
    if (!r) {
        return fmt::format("{} not found", argv.front());
    }
    if (r->exit_code == 0) {
        return std::nullopt;
    }
    std::string said = r->err.empty() ? r->out : r->err;
    said = said.substr(0, said.find('\n'));
    return said.empty() ? fmt::format("exit {}", r->exit_code) : said;
}

std::string launchd_domain() {
    return fmt::format("gui/{}", sys::current_uid());
}

/// This program as the service should start it: its PATH entry when that is this very
/// file (Homebrew's bin/phantom symlink stays valid across upgrades, the Cellar path does
/// not), else where it runs from.
std::filesystem::path phantom_program() {
    const auto self = sys::executable_path();
    std::error_code ec;
    if (auto on_path = sys::find_program("phantom");
        on_path && self && std::filesystem::equivalent(*on_path, *self, ec)) {
        return std::filesystem::absolute(*on_path, ec);
    }
    if (!self) {
        throw Fatal(exit_code::k_software, "cannot tell where this phantom program is",
                    "run it by its full path (e.g. /usr/local/bin/phantom connect --install-service)");
    }
    return *self;
}

} // namespace

int install_service(const std::filesystem::path& home) {
    if (sys::current_uid() == 0) {
        throw Fatal(exit_code::k_usage, "the login service is per user: not as root",
                    "run `phantom connect --install-service` as yourself, without sudo");
    }
    const auto manager = this_manager();
    const auto env = sys::current_environment();
    // A service without a usable config would fail at every login: refuse now, with the fix.
    const auto config_file = config::config_path(home);
    config::load_config(config_file);
    const std::optional<std::filesystem::path> custom_config =
        env.count("PHANTOM_CONFIG") != 0 && !env.at("PHANTOM_CONFIG").empty()
            ? std::optional<std::filesystem::path>(std::filesystem::absolute(config_file))
            : std::nullopt;
    const auto file = daemon::service_file(manager, home, env);
    const auto text = daemon::service_text(manager, phantom_program(), home, custom_config);
    const auto previous = sys::read_file(file);
    // The directories this creates go again when the manager refuses.
    std::filesystem::path first_created;
    for (auto dir = file.parent_path(); !dir.empty() && !std::filesystem::exists(dir);
         dir = dir.parent_path()) {
        first_created = dir;
    }
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    // launchd does not create the log's directory; the daemon's own directories, as it makes them.
    daemon::prepare_directories(daemon::daemon_files(home));
    if (auto written = sys::write_file_atomic(file, text, 0644); !written) {
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot write {}: {}", file.string(), written.error().message()),
                    "check that directory's owner and permissions");
    }
    // Nothing changes when the manager refuses: the earlier file comes back (or none).
    const auto restore = [&] {
        std::error_code ignored;
        if (previous) {
            (void)sys::write_file_atomic(file, *previous, 0644);
        } else {
            std::filesystem::remove(file, ignored);
            if (!first_created.empty()) {
                std::filesystem::remove_all(first_created, ignored);
            }
        }
    };
    // A daemon started by hand would make the service's own exit "already running" at once:
    // the service takes over from it, once its manager has accepted it.
    bool took_over = false;
    const auto take_over = [&] {
        took_over = daemon_running(home) && daemon::stop_daemon(daemon::daemon_files(home));
    };
    if (manager == ServiceManager::systemd) {
        auto failed = manage({"systemctl", "--user", "daemon-reload"});
        if (!failed) {
            failed = manage({"systemctl", "--user", "enable", daemon::k_systemd_unit});
        }
        if (!failed) { // restart, not start: a reinstall applies the new unit now
            take_over();
            failed = manage({"systemctl", "--user", "restart", daemon::k_systemd_unit});
        }
        if (failed) {
            restore();
            (void)manage({"systemctl", "--user", "daemon-reload"});
            throw Fatal(
                exit_code::k_unavailable,
                fmt::format("systemctl --user could not enable {}: {}", daemon::k_systemd_unit, *failed),
                "this needs your user's systemd (a desktop or `loginctl enable-linger $USER` session); "
                "without it, run `phantom connect` from your shell profile");
        }
    } else {
        // A loaded older agent is replaced, not doubled. bootstrap right after bootout can
        // fail while launchd still tears the old one down ("5: Input/output error"): once more.
        const bool was_loaded =
            !manage({"launchctl", "bootout", launchd_domain() + "/" + daemon::k_launchd_label});
        take_over();
        auto failed = manage({"launchctl", "bootstrap", launchd_domain(), file.string()});
        if (failed) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            failed = manage({"launchctl", "bootstrap", launchd_domain(), file.string()});
        }
        if (failed) {
            restore();
            if (previous && was_loaded) {
                (void)manage({"launchctl", "bootstrap", launchd_domain(), file.string()});
            }
            throw Fatal(exit_code::k_unavailable,
                        fmt::format("launchctl could not load {}: {}", file.string(), *failed),
                        "run it from your own login session (not over ssh or sudo)");
        }
    }
    std::cout << fmt::format("installed {}: phantom connects at every login (started now{})\n"
                             "`phantom connect --uninstall-service` removes it\n",
                             file.string(), took_over ? ", in place of the daemon started by hand" : "");
    return exit_code::k_ok;
}

int uninstall_service(const std::filesystem::path& home) {
    const auto manager = this_manager();
    const auto file = daemon::service_file(manager, home, sys::current_environment());
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        std::cout << fmt::format("no service installed ({} does not exist)\n", file.string());
        return exit_code::k_ok;
    }
    // Stopping may fail when the manager is not running or never loaded it: the file goes anyway.
    if (manager == ServiceManager::systemd) {
        (void)manage({"systemctl", "--user", "disable", "--now", daemon::k_systemd_unit});
    } else {
        (void)manage({"launchctl", "bootout", launchd_domain() + "/" + daemon::k_launchd_label});
    }
    if (!std::filesystem::remove(file, ec) && ec) {
        throw Fatal(exit_code::k_config, fmt::format("cannot remove {}: {}", file.string(), ec.message()),
                    "remove it by hand");
    }
    if (manager == ServiceManager::systemd) {
        (void)manage({"systemctl", "--user", "daemon-reload"});
    }
    std::cout << fmt::format("removed {}: phantom no longer connects at login\n", file.string());
    return exit_code::k_ok;
}

} // namespace phantom::cli
