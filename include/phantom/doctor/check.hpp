// SPDX-License-Identifier: MIT
// `phantom doctor`'s frame: checks behind one interface, the probes they observe the machine
// through, and the runner that orders them cause-first and renders the findings.
#pragma once

#include <phantom/config/config.hpp>
#include <phantom/config/secrets.hpp>
#include <phantom/daemon/daemon.hpp>
#include <phantom/daemon/state.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/tunnel/probe.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::doctor {

/// A finding's verdict. `skipped`: not checked because something it needs failed (or there
/// was nothing to check); like a FAIL it stops the checks that need this one.
enum class Status { ok, warn, fail, skipped };

/// "OK", "WARN", "FAIL", "--".
std::string_view label(Status status) noexcept;

/// One line of finding and, unless all is well, one line of fix.
struct Finding {
    std::string check; ///< the check's name ("server")
    Status status = Status::ok;
    std::string text;
    std::string fix;
};

/// A process seen on the machine.
struct ProcessEntry {
    int pid = 0;
    std::string name; ///< the executable's name ("mihomo"), as `ps -o comm` shows it
};

/// A program doctor ran, bounded in time.
struct CommandOutcome {
    bool started = false; ///< false: not found or not executable
    bool timed_out = false;
    int exit_code = 0;
    std::string out;
    std::string err;
};

/// A TCP connection attempt to a host by name.
struct ConnectOutcome {
    enum class Result { ok, dns_failure, refused, timeout, other };
    Result result = Result::ok;
    std::string address; ///< the address tried last ("203.0.113.7")
    std::string detail;  ///< the system's words for the error
    std::chrono::milliseconds elapsed{0};
};

/// Everything a check observes of the machine besides files under the home directory.
/// The real implementation (system_probes()) asks the OS; unit tests fake every outcome.
class Probes {
public:
    virtual ~Probes() = default;
    /// The environment doctor was started with (the user's shell's).
    virtual sys::Environment environment() = 0;
    /// macOS rather than Linux: which proxy settings and install commands apply.
    virtual bool is_macos() = 0;
    /// The processes running on the machine (all users').
    virtual std::vector<ProcessEntry> processes() = 0;
    /// Who accepts TCP connections on 127.0.0.1:`port`: "NAME (pid N)" when the OS shows
    /// the owner, "" when it does not; nullopt when nothing does.
    virtual std::optional<std::string> loopback_listener(std::uint16_t port) = 0;
    /// The path of `name` on PATH, if any.
    virtual std::optional<std::filesystem::path> find_program(const std::string& name) = 0;
    /// Runs argv (argv[0] searched on PATH) with `environment` (inherited when nullopt),
    /// killed after `timeout`.
    virtual CommandOutcome run(const std::vector<std::string>& argv,
                               const std::optional<sys::Environment>& environment,
                               std::chrono::milliseconds timeout) = 0;
    /// The addresses `host` resolves to on this machine; empty when it does not resolve.
    virtual std::vector<std::string> resolve(const std::string& host) = 0;
    virtual ConnectOutcome connect(const std::string& host, std::uint16_t port,
                                   std::chrono::milliseconds timeout) = 0;
    virtual tunnel::ProbeResult socks_probe(std::uint16_t port,
                                            const std::optional<tunnel::ProbeCredentials>& credentials,
                                            std::chrono::milliseconds timeout) = 0;
    /// Sends `request` to 127.0.0.1:`port`, returns what came back before the peer closed,
    /// a full HTTP head arrived, or `timeout` passed; nullopt when it could not connect.
    virtual std::optional<std::string> exchange(std::uint16_t port, const std::string& request,
                                                std::chrono::milliseconds timeout) = 0;
    /// The member password the OS keychain holds for `account`, asked with a short limit.
    virtual config::SecretLookup keychain_password(const std::string& account) = 0;
    /// True while this user's daemon holds its lock.
    virtual bool daemon_running(const daemon::DaemonFiles& files) = 0;
};

/// The probes of the real machine.
std::unique_ptr<Probes> system_probes();

/// What the user asked for beyond the defaults.
struct Options {
    /// HOST:PORT that should resolve only on the server; reached through the bridge by name.
    std::string dns_target = "api.anthropic.com:443";
    /// URL answering with the caller's address, fetched directly and through the tunnel.
    std::optional<std::string> egress_url;
};

/// Shared by the checks of one run: inputs, and what earlier checks found out for later
/// ones (a check that needs something an earlier one could not provide is skipped).
struct Context {
    /// A run on `probes` for the user whose home is `home_`; nothing learnt yet.
    Context(Probes& probes_, std::filesystem::path home_, Options options_)
        : probes(probes_), home(std::move(home_)), options(std::move(options_)) {}

    Probes& probes;
    std::filesystem::path home;
    Options options;
    std::filesystem::path config_file;          ///< set by "config"
    std::optional<config::Config> config;       ///< set by "config"
    std::optional<std::string> password;        ///< member password (dante mode), set by "password"
    bool daemon_running = false;                ///< set by "tunnel"
    std::optional<daemon::State> state;         ///< set by "tunnel"
    std::optional<daemon::BridgeAccess> bridge; ///< set by "tunnel" when the bridge is published
};

/// One independent check. It reads the context, may add to it, and returns its findings
/// (at least one). A phantom::Error it throws becomes one FAIL with the error's hint.
class Check {
public:
    virtual ~Check() = default;
    /// Short, stable, lower case ("ssh login"): the first column and the JSON key.
    [[nodiscard]] virtual std::string_view name() const = 0;
    /// Checks whose failure explains this one's: when one of them FAILed or was skipped,
    /// this one is skipped, naming it, so each cause is reported once.
    [[nodiscard]] virtual std::vector<std::string_view> needs() const { return {}; }
    virtual std::vector<Finding> run(Context& context) const = 0;
};

using Checks = std::vector<std::unique_ptr<Check>>;

/// Runs `checks` in order (each must come after those it needs).
std::vector<Finding> run_checks(const Checks& checks, Context& context);

/// The column of statuses, one finding per line with its fix below, and a summary line.
/// `colour`: ANSI colours for the status words.
std::string render_text(const std::vector<Finding>& findings, bool colour);

/// {"ok": BOOL, "fail": N, "warn": N, "checks": [{"check", "status", "finding", "fix"}]}.
std::string render_json(const std::vector<Finding>& findings);

/// True when any finding is a FAIL.
bool any_failure(const std::vector<Finding>& findings);

} // namespace phantom::doctor
