// SPDX-License-Identifier: MIT
// The per-user daemon: holds the instance lock, supervises the tunnel, publishes its state.
#include <phantom/bridge/listener.hpp>
#include <phantom/config/secrets.hpp>
#include <phantom/daemon/daemon.hpp>
#include <phantom/daemon/lock.hpp>
#include <phantom/daemon/log.hpp>
#include <phantom/daemon/state.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/child.hpp>
#include <phantom/sys/death_guard.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/limits.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/ports.hpp>
#include <phantom/sys/process.hpp>
#include <phantom/sys/random.hpp>
#include <phantom/sys/signals.hpp>
#include <phantom/tunnel/command.hpp>
#include <phantom/tunnel/diagnose.hpp>
#include <phantom/tunnel/probe.hpp>
#include <phantom/tunnel/supervisor.hpp>
#include <phantom/tunnel/system_watch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>

namespace phantom::daemon {
namespace {

constexpr std::size_t k_tunnel_log_cap = 1024 * 1024;
constexpr auto k_stop_grace = std::chrono::milliseconds(3000);

std::int64_t unix_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string base_name(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

/// True when `argv` is a tunnel process of this user's phantom: autossh or ssh with this
/// user's known_hosts file on its command line.
bool is_our_tunnel(const std::vector<std::string>& argv, const DaemonFiles& files) {
    if (argv.empty()) {
        return false;
    }
    const std::string name = base_name(argv.front());
    if (name != "autossh" && name != "ssh") {
        return false;
    }
    const std::string marker = "UserKnownHostsFile=" + files.known_hosts.string();
    return std::find(argv.begin(), argv.end(), marker) != argv.end();
}

bool is_phantom_daemon(const std::vector<std::string>& argv) {
    return !argv.empty() && base_name(argv.front()) == "phantom" &&
           std::find(argv.begin(), argv.end(), "connect") != argv.end();
}

/// Copy-and-truncate rotation: autossh and ssh keep the file open with O_APPEND, so a
/// rename would leave them writing into the old file.
void cap_tunnel_log(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec || size <= k_tunnel_log_cap) {
        return;
    }
    std::filesystem::path old = file;
    old += ".1";
    std::filesystem::copy_file(file, old, std::filesystem::copy_options::overwrite_existing, ec);
    std::filesystem::resize_file(file, 0, ec);
}

/// What ssh printed since `offset` (the last start), for diagnosis.
std::string tunnel_output_since(const std::filesystem::path& file, std::uintmax_t offset) {
    auto text = sys::read_file(file);
    if (!text) {
        return {};
    }
    if (offset > text->size()) {
        offset = 0; // truncated by cap_tunnel_log
    }
    return text->substr(static_cast<std::size_t>(offset));
}

/// The real tunnel process: autossh -M 0 supervising ssh, or ssh itself.
class TunnelRunner final : public tunnel::ProcessRunner {
public:
    TunnelRunner(const config::Config& config, const DaemonFiles& files, const tunnel::TunnelPaths& paths,
                 Log& log, sys::DeathGuard* guard)
        : m_config(config), m_files(files), m_paths(paths), m_log(log), m_guard(guard) {
        const auto autossh_choice = sys::get_env("PHANTOM_AUTOSSH").value_or("autossh");
        m_ssh = sys::get_env("PHANTOM_SSH").value_or("ssh");
        if (autossh_choice != "none" && sys::find_program(autossh_choice)) {
            m_autossh = autossh_choice;
        }
    }

    std::optional<int> start(std::string& error) override {
        std::error_code ec;
        m_output_offset = std::filesystem::exists(m_files.tunnel_log, ec)
                              ? std::filesystem::file_size(m_files.tunnel_log, ec)
                              : 0;
        sys::SpawnOptions options;
        options.output = m_files.tunnel_log;
        options.environment = sys::current_environment();
        if (!m_autossh.empty()) {
            options.argv = {m_autossh};
            for (auto& a : tunnel::autossh_arguments(m_config, m_paths, m_config.tunnel.local_port)) {
                options.argv.push_back(std::move(a));
            }
            for (const auto& [name, value] : tunnel::autossh_environment()) {
                (*options.environment)[name] = value;
            }
            // autossh(1): AUTOSSH_PATH is the ssh it runs.
            (*options.environment)["AUTOSSH_PATH"] = sys::find_program(m_ssh).value_or(m_ssh).string();
            (*options.environment)["AUTOSSH_LOGFILE"] = m_files.tunnel_log.string();
        } else {
            options.argv = {m_ssh};
            for (auto& a : tunnel::ssh_arguments(m_config, m_paths, m_config.tunnel.local_port)) {
                options.argv.push_back(std::move(a));
            }
        }
        auto pid = sys::spawn(options);
        if (!pid) {
            error = fmt::format("cannot start {}: {}", options.argv.front(), pid.error().message());
            return std::nullopt;
        }
        m_pid = *pid;
        m_exited = false;
        guard_watch(m_pid);
        m_log.info("spawned", fmt::format("{} pid {}", program(), m_pid));
        return m_pid;
    }

    bool running() override {
        if (m_pid <= 0 || m_exited) {
            return false;
        }
        if (sys::reap_child(m_pid) || !sys::process_exists(m_pid)) {
            m_exited = true;
            m_log.warn("tunnel process exited", fmt::format("{} pid {}", program(), m_pid));
            kill_orphans();
            return false;
        }
        return true;
    }

    void restart_ssh() override {
        if (!m_autossh.empty() && m_pid > 0 && !m_exited) {
            // autossh(1): SIGUSR1 kills and restarts its ssh.
            sys::send_signal(m_pid, SIGUSR1);
            m_output_offset = current_log_size();
            return;
        }
        stop();
        std::string error;
        if (!start(error)) {
            m_log.error("restart failed", error);
        }
    }

    void stop() override {
        if (m_pid > 0 && !m_exited) {
            const auto children = sys::child_processes(m_pid);
            sys::terminate_process(m_pid, k_stop_grace);
            for (const int child : children) {
                sys::terminate_process(child, k_stop_grace);
            }
            m_exited = true;
        }
        kill_orphans();
    }

    /// Called with every pid the daemon reaped, so a reaped tunnel counts as exited.
    void note_reaped(const std::vector<int>& pids) {
        if (std::find(pids.begin(), pids.end(), m_pid) != pids.end() && !m_exited) {
            m_exited = true;
            m_log.warn("tunnel process exited", fmt::format("{} pid {}", program(), m_pid));
            kill_orphans();
        }
    }

    [[nodiscard]] int pid() const noexcept { return m_exited ? 0 : m_pid; }
    [[nodiscard]] std::string program() const { return m_autossh.empty() ? "ssh" : "autossh"; }
    [[nodiscard]] std::uintmax_t output_offset() const noexcept { return m_output_offset; }

private:
    std::uintmax_t current_log_size() const {
        std::error_code ec;
        const auto size = std::filesystem::file_size(m_files.tunnel_log, ec);
        return ec ? 0 : size;
    }

    /// Hands the new tunnel's process group to the death guard, first dropping groups of
    /// earlier tunnels that have no process left (an ssh may outlive its autossh for a while).
    void guard_watch(int group) {
        if (m_guard == nullptr) {
            return;
        }
        std::erase_if(m_guarded, [this](int old) {
            const bool gone = !sys::process_group_exists(old);
            if (gone) {
                m_guard->forget(old);
            }
            return gone;
        });
        m_guard->watch(group);
        m_guarded.push_back(group);
    }

    /// An ssh whose autossh was killed is re-parented to us (we are its subreaper): stop
    /// any child that is one of our tunnel processes, so the forward port is freed.
    void kill_orphans() {
        for (const int child : sys::child_processes(sys::current_pid())) {
            const auto argv = sys::process_command_line(child);
            if (argv && is_our_tunnel(*argv, m_files)) {
                m_log.info("stopping orphaned tunnel process", fmt::format("pid {}", child));
                sys::terminate_process(child, k_stop_grace);
            }
        }
        sys::reap_exited_children();
    }

    const config::Config& m_config;
    const DaemonFiles& m_files;
    const tunnel::TunnelPaths& m_paths;
    Log& m_log;
    sys::DeathGuard* m_guard;
    std::vector<int> m_guarded;
    std::string m_autossh;
    std::string m_ssh;
    int m_pid = 0;
    bool m_exited = false;
    std::uintmax_t m_output_offset = 0;
};

bridge::ListenerOptions bridge_options(const config::Config& config, const std::string& token,
                                       const std::optional<std::string>& password) {
    bridge::ListenerOptions options;
    options.port = config.tunnel.bridge_port;
    options.token = token;
    options.tunnel_port = config.tunnel.local_port;
    if (password) {
        options.tunnel_credentials = std::make_pair(config.auth.socks_user, *password);
    }
    // A spare tunnel connection in direct mode: ssh -D answers its greeting itself and never
    // times it out. Not in dante mode: the spare's greeting crosses the server while the
    // request before it is answered, and sshd (no TCP_NODELAY without a tty) then holds that
    // answer for the client's delayed ACK: 40 ms per request on the bench (5.7 -> 45 ms).
    if (!password) {
        options.spare_lifetime = std::chrono::seconds(120);
    }
    options.max_connections = static_cast<std::size_t>(config.tunnel.bridge_max_connections);
    options.idle_timeout = std::chrono::seconds(config.tunnel.bridge_idle_timeout);
    return options;
}

void copy_counters(const bridge::Counters& from, BridgeStats& to) {
    to.active = from.active.load();
    to.total = from.total.load();
    to.bytes_up = from.bytes_up.load();
    to.bytes_down = from.bytes_down.load();
    for (std::size_t i = 0; i < from.failures.size(); ++i) {
        if (const auto n = from.failures[i].load(); n != 0) {
            to.failures[std::string(bridge::failure_name(static_cast<bridge::Failure>(i)))] = n;
        }
    }
}

/// The system's network watch, plus "reconnect now" requests from signals.
class RequestableWatch final : public tunnel::NetworkWatch {
public:
    bool changed() override {
        const bool requested = std::exchange(m_requested, false);
        return m_system.changed() || requested;
    }
    void request() noexcept { m_requested = true; }

private:
    tunnel::RouteWatch m_system;
    bool m_requested = false;
};

} // namespace

DaemonFiles daemon_files(const std::filesystem::path& home) {
    const auto dir = config::state_dir(home);
    DaemonFiles f;
    f.run_dir = dir / "run";
    f.lock = f.run_dir / "lock";
    f.state = f.run_dir / "state.json";
    f.token = f.run_dir / "token";
    f.log_dir = dir / "log";
    f.log = f.log_dir / "phantom.log";
    f.tunnel_log = f.log_dir / "ssh.log";
    f.known_hosts = dir / "known_hosts";
    return f;
}

void prepare_directories(const DaemonFiles& files) {
    for (const auto& dir : {files.run_dir, files.log_dir}) {
        if (auto r = sys::ensure_private_dir(dir, 0700); !r) {
            throw Fatal(exit_code::k_config,
                        fmt::format("cannot create {}: {}", dir.string(), r.error().message()),
                        "make sure ~/.phantom is a directory you own");
        }
    }
}

std::optional<std::string> member_password(const config::Config& config) {
    if (config.tunnel.mode != config::Mode::dante) {
        return std::nullopt;
    }
    if (!config.auth.password.empty()) {
        return config.auth.password;
    }
    if (auto stored = config::lookup_password(
            config::secret_account(config.auth.socks_user, config.server.host, config.server.port))) {
        return stored;
    }
    throw Fatal(exit_code::k_config, "no member password: neither the config nor the keychain holds it",
                "run `phantom init --password-stdin` (or `phantom init` on a terminal)");
}

int run_daemon(const config::Config& config, const std::filesystem::path& home) {
    const DaemonFiles files = daemon_files(home);
    prepare_directories(files);
    auto lock = InstanceLock::acquire(files.lock);
    if (!lock) {
        return k_already_running;
    }
    Log log(files.log);
    const auto password = member_password(config);

    State state;
    state.pid = sys::current_pid();
    state.local_port = config.tunnel.local_port;
    state.mode = std::string(config::to_string(config.tunnel.mode));
    state.server = fmt::format("{}@{}:{}", config.server.user, config.server.host, config.server.port);
    state.started_at = unix_now();
    state.phase = "starting";
    std::string written;
    auto publish = [&] {
        const std::string text = to_json(state);
        if (text != written) {
            try {
                write_state(files.state, state);
                written = text;
            } catch (const Error& e) {
                log.error("cannot write state", e.what());
            }
        }
    };
    auto fail = [&](const std::string& cause, const std::string& hint) {
        state.phase = "failed";
        state.last_error = hint.empty() ? cause : fmt::format("{}; fix: {}", cause, hint);
        log.error("giving up", state.last_error);
        publish();
        return exit_code::k_unavailable;
    };

    log.info("starting", fmt::format("{} mode, server {}", state.mode, state.server));
    if (!sys::loopback_port_free(config.tunnel.local_port)) {
        const auto owner = sys::port_owner(config.tunnel.local_port);
        return fail(fmt::format("local port 127.0.0.1:{} is busy{}", config.tunnel.local_port,
                                owner ? fmt::format(" (held by {})", *owner) : ""),
                    "stop that program, or set another [tunnel] local_port in ~/.phantom/config");
    }

    sys::become_subreaper();
    // A closed bridge client or a dead guard must give EPIPE, not kill the daemon.
    std::signal(SIGPIPE, SIG_IGN);
    // Where the OS has no parent-death signal (macOS) the guard is what stops autossh and
    // ssh when the daemon is SIGKILLed; Linux uses PR_SET_PDEATHSIG (sys::spawn).
    std::optional<sys::DeathGuard> guard;
    if (sys::DeathGuard::needed()) {
        if (auto started = sys::DeathGuard::start(k_stop_grace)) {
            guard.emplace(std::move(*started));
        } else {
            log.warn("no death guard", started.error().message());
        }
    }
    sys::BlockedSignals signals{SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD};
    const tunnel::TunnelPaths paths{config::expand_home(config.auth.ssh_key, home), files.known_hosts};
    TunnelRunner runner(config, files, paths, log, guard ? &*guard : nullptr);
    tunnel::SystemClock clock;
    RequestableWatch network;
    std::optional<tunnel::ProbeCredentials> credentials;
    if (password) {
        credentials = tunnel::ProbeCredentials{config.auth.socks_user, *password};
    }
    const auto probe_timeout = std::chrono::milliseconds(3000);
    tunnel::Supervisor supervisor(runner, clock, network, [&] {
        return tunnel::probe_socks(config.tunnel.local_port, credentials, probe_timeout);
    });
    state.tunnel_program = runner.program();

    // The bridge: a new secret per daemon, on disk (0600) before the port is published.
    const std::string token = sys::random_token(24);
    if (auto written_token = sys::write_file_atomic(files.token, token + "\n", 0600); !written_token) {
        return fail(fmt::format("cannot write {}: {}", files.token.string(), written_token.error().message()),
                    "check that ~/.phantom/run is a directory you own");
    }
    // Two descriptors per bridge connection, plus the tunnel's, the log's and the state
    // file's: without this, macOS's default of 256 open files would make accept fail (EMFILE)
    // long before bridge_max_connections.
    auto options = bridge_options(config, token, password);
    constexpr std::uint64_t k_other_files = 64;
    const std::uint64_t needed = 2 * options.max_connections + k_other_files;
    const std::uint64_t open_files = sys::raise_open_files_limit(needed);
    if (open_files != 0 && open_files < needed) {
        const auto fits =
            static_cast<std::size_t>(open_files > k_other_files + 2 ? (open_files - k_other_files) / 2 : 1);
        log.warn(
            "bridge connection limit lowered",
            fmt::format("the open-file limit ({}) allows {} of bridge_max_connections = {}; raise it with "
                        "ulimit -n",
                        open_files, fits, options.max_connections));
        options.max_connections = fits;
    }
    std::optional<bridge::Listener> listener;
    try {
        listener.emplace(std::move(options),
                         [&log](std::string_view level, std::string_view event, std::string_view detail) {
                             if (level == "warn") {
                                 log.warn(event, detail);
                             } else {
                                 log.info(event, detail);
                             }
                         });
    } catch (const Error& e) {
        std::error_code ignored;
        std::filesystem::remove(files.token, ignored);
        const auto owner =
            config.tunnel.bridge_port != 0 ? sys::port_owner(config.tunnel.bridge_port) : std::nullopt;
        return fail(owner ? fmt::format("{} (held by {})", e.what(), *owner) : std::string(e.what()),
                    e.hint());
    }
    // Started after the signals are blocked: the bridge's thread inherits the mask, so
    // SIGTERM and friends keep arriving at the loop below.
    state.bridge_port = listener->port();
    listener->start();
    log.info("bridge listening", fmt::format("127.0.0.1:{}", state.bridge_port));
    const tunnel::ProbeCredentials bridge_credentials{"phantom", token};

    int code = exit_code::k_ok;
    for (;;) {
        runner.note_reaped(sys::reap_exited_children());
        const tunnel::TickReport report = supervisor.tick();
        for (const auto& event : report.events) {
            log.info(event);
        }
        state.tunnel_pid = runner.pid();
        state.reconnects = supervisor.reconnects();
        if (report.probe) {
            state.last_probe_ok = report.probe->ok();
            state.last_probe_at = unix_now();
            listener->set_credentials_rejected(report.probe->failure == tunnel::ProbeFailure::auth_rejected);
            if (report.probe->ok()) {
                state.last_probe_ms = static_cast<double>(report.probe->latency.count()) / 1000.0;
                if (state.phase != "connected") {
                    // The same probe through the bridge: token, SOCKS, upstream, tunnel.
                    const auto through =
                        tunnel::probe_socks(state.bridge_port, bridge_credentials, probe_timeout);
                    if (through.ok()) {
                        log.info("ready",
                                 fmt::format("probe ok in {:.1f} ms, through the bridge in {:.1f} ms",
                                             state.last_probe_ms,
                                             static_cast<double>(through.latency.count()) / 1000.0));
                        state.phase = "connected";
                        state.last_error.clear();
                    } else {
                        state.last_error = fmt::format("the bridge on 127.0.0.1:{} does not answer: {}",
                                                       state.bridge_port, tunnel::describe(through.failure));
                        log.error("bridge probe failed", state.last_error);
                    }
                } else {
                    state.last_error.clear();
                }
            } else {
                const auto failure = report.probe->failure;
                const auto diagnosis = tunnel::diagnose_ssh_output(
                    tunnel_output_since(files.tunnel_log, runner.output_offset()), config.server.host);
                std::string cause = tunnel::describe(failure);
                std::string hint;
                bool permanent = false;
                if (failure == tunnel::ProbeFailure::auth_rejected) {
                    hint = "check your member password: `phantom init --password-stdin` stores a new one";
                    permanent = true;
                } else if (diagnosis) {
                    cause = diagnosis->cause;
                    hint = diagnosis->hint;
                    permanent = diagnosis->permanent;
                }
                state.last_error = hint.empty() ? cause : fmt::format("{}; fix: {}", cause, hint);
                state.phase =
                    state.phase == "connected" || state.phase == "reconnecting" ? "reconnecting" : "starting";
                // A refused key or password cannot heal by retrying before the first success:
                // stop, so `connect` reports it instead of waiting for its timeout.
                if (permanent && !supervisor.healthy() && state.reconnects == 0 && state.last_probe_ms == 0) {
                    code = fail(cause, hint);
                    break;
                }
            }
        }
        copy_counters(listener->counters(), state.bridge);
        publish();
        cap_tunnel_log(files.tunnel_log);

        const auto signal = signals.wait(supervisor.next_tick());
        if (signal == SIGTERM || signal == SIGINT) {
            log.info("stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (signal == SIGHUP || signal == SIGUSR1) {
            network.request();
        }
    }
    state.phase = "stopping";
    publish();
    listener->stop();
    runner.stop();
    std::error_code ec;
    std::filesystem::remove(files.token, ec);
    if (code == exit_code::k_ok) {
        std::filesystem::remove(files.state, ec);
    }
    log.info("stopped");
    return code;
}

std::optional<BridgeAccess> bridge_access(const DaemonFiles& files) {
    const auto state = read_state(files.state);
    if (!state || state->bridge_port == 0) {
        return std::nullopt;
    }
    // The token grants the tunnel: only a private file of ours is trusted.
    const auto status = sys::file_status(files.token);
    if (!status || !status->exists || status->is_symlink || status->owner != sys::current_uid() ||
        (status->mode & 077) != 0) {
        return std::nullopt;
    }
    auto text = sys::read_file(files.token);
    if (!text) {
        return std::nullopt;
    }
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) {
        text->pop_back();
    }
    if (text->empty()) {
        return std::nullopt;
    }
    return BridgeAccess{state->bridge_port, std::move(*text)};
}

bool stop_daemon(const DaemonFiles& files) {
    bool found = false;
    const auto state = read_state(files.state);
    if (InstanceLock::is_held(files.lock) && state && state->pid > 0) {
        const auto argv = sys::process_command_line(state->pid);
        if (argv && is_phantom_daemon(*argv)) {
            found = true;
            sys::terminate_process(state->pid, std::chrono::milliseconds(10000));
        }
    }
    // Whatever a crashed or killed daemon left (an ssh whose autossh died is re-parented
    // to init): any autossh/ssh with this user's known_hosts on its command line.
    for (const int pid : sys::all_processes()) {
        const auto argv = sys::process_command_line(pid);
        if (pid != sys::current_pid() && argv && is_our_tunnel(*argv, files)) {
            found = true;
            sys::terminate_process(pid, k_stop_grace);
        }
    }
    if (!InstanceLock::is_held(files.lock)) {
        std::error_code ec;
        std::filesystem::remove(files.state, ec);
    }
    return found;
}

} // namespace phantom::daemon
