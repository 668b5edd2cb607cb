// SPDX-License-Identifier: MIT
// Each doctor check against fake probes, one test per outcome; files live in a temporary
// home. The runner's ordering and the renderers are at the end. The real tunnel, bridge and
// faults injected into them are in tests/integration/doctor_test.sh.
#include <phantom/config/config.hpp>
#include <phantom/config/known_hosts.hpp>
#include <phantom/daemon/daemon.hpp>
#include <phantom/daemon/state.hpp>
#include <phantom/doctor/checks.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "catch.hpp"
#include "temp_dir.hpp"

using namespace phantom;
using namespace phantom::doctor;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_host_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINZ6yKf4JyiZFFgmSv6Vv0JD5nrFqXBoOG3hqyWDr1lx";

/// Probes whose every answer a test sets; what doctor asked is recorded.
class FakeProbes final : public Probes {
public:
    sys::Environment env;
    bool macos = false;
    std::vector<ProcessEntry> procs;
    std::map<std::uint16_t, std::string> listeners;
    std::set<std::string> programs = {"ssh", "autossh", "curl"};
    /// By argv[0] and argv[1] ("ssh -V"); unknown commands did not start.
    std::map<std::string, CommandOutcome> commands;
    std::function<CommandOutcome(const std::vector<std::string>&, const std::optional<sys::Environment>&)>
        on_run;
    std::vector<std::vector<std::string>> ran;
    std::map<std::string, std::vector<std::string>> names;
    ConnectOutcome connect_outcome;
    tunnel::ProbeResult probe;
    std::optional<tunnel::ProbeCredentials> probed_with;
    std::function<std::optional<std::string>(const std::string&)> bridge = [](const std::string&) {
        return std::optional<std::string>();
    };
    std::map<std::string, std::string> keychain;
    bool keychain_silent = false;
    bool running = false;

    sys::Environment environment() override { return env; }
    bool is_macos() override { return macos; }
    std::vector<ProcessEntry> processes() override { return procs; }
    std::optional<std::string> loopback_listener(std::uint16_t port) override {
        const auto it = listeners.find(port);
        return it == listeners.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    std::optional<fs::path> find_program(const std::string& name) override {
        return programs.count(name) != 0 ? std::optional<fs::path>("/usr/bin/" + name) : std::nullopt;
    }
    CommandOutcome run(const std::vector<std::string>& argv, const std::optional<sys::Environment>& e,
                       std::chrono::milliseconds /*timeout*/) override {
        ran.push_back(argv);
        if (on_run) {
            return on_run(argv, e);
        }
        const auto it = commands.find(argv.at(0) + " " + (argv.size() > 1 ? argv[1] : ""));
        return it == commands.end() ? CommandOutcome{} : it->second;
    }
    std::vector<std::string> resolve(const std::string& host) override {
        const auto it = names.find(host);
        return it == names.end() ? std::vector<std::string>{} : it->second;
    }
    ConnectOutcome connect(const std::string& /*host*/, std::uint16_t /*port*/,
                           std::chrono::milliseconds /*timeout*/) override {
        return connect_outcome;
    }
    tunnel::ProbeResult socks_probe(std::uint16_t /*port*/,
                                    const std::optional<tunnel::ProbeCredentials>& credentials,
                                    std::chrono::milliseconds /*timeout*/) override {
        probed_with = credentials;
        return probe;
    }
    std::optional<std::string> exchange(std::uint16_t /*port*/, const std::string& request,
                                        std::chrono::milliseconds /*timeout*/) override {
        return bridge(request);
    }
    config::SecretLookup keychain_password(const std::string& account) override {
        const auto it = keychain.find(account);
        return {it == keychain.end() ? std::nullopt : std::optional<std::string>(it->second),
                keychain_silent};
    }
    bool daemon_running(const daemon::DaemonFiles& /*files*/) override { return running; }
};

CommandOutcome done(int code, std::string out, std::string err = {}) {
    return {true, false, code, std::move(out), std::move(err)};
}

/// A member's home with a valid dante-mode config, its key (0600) and the pinned host key.
struct Member {
    test::TempDir dir;
    fs::path home = dir.path();
    FakeProbes probes;
    config::Config config;
    Context context{probes, home, Options{}};

    Member() {
        config.server.host = "vps.example.com";
        config.server.host_key = k_host_key;
        config.auth.socks_user = "alice";
        config.auth.password = "pw1";
        config.auth.ssh_key = "~/.ssh/phantom_ed25519";
        config::save_config(config, home / ".phantom" / "config");
        fs::create_directories(home / ".ssh");
        write(home / ".ssh" / "phantom_ed25519", "key", fs::perms::owner_read | fs::perms::owner_write);
        config::pin_host_key(home / ".phantom" / "known_hosts", "vps.example.com", 22, k_host_key);
        context.config = config;
        probes.commands["ssh -V"] = done(0, "", "OpenSSH_9.2p1 Debian-2, OpenSSL 3.0.15 3 Sep 2024\n");
        probes.commands["autossh -V"] = done(0, "autossh 1.4g\n");
    }

    static void write(const fs::path& file, const std::string& text, fs::perms perms) {
        std::ofstream(file) << text;
        fs::permissions(file, perms);
    }

    /// Runs `check` alone (its needs are taken as passed) on this member's context.
    std::vector<Finding> run(std::unique_ptr<Check> check) {
        Checks checks;
        checks.push_back(std::move(check));
        return run_checks(checks, context);
    }

    /// A running daemon's state.json and token, as the daemon writes them.
    void connected(bool probe_ok = true) {
        probes.running = true;
        const auto files = daemon::daemon_files(home);
        fs::create_directories(files.run_dir);
        daemon::State s;
        s.pid = 4242;
        s.tunnel_pid = 4243;
        s.tunnel_program = "autossh";
        s.local_port = 17080;
        s.bridge_port = 17999;
        s.mode = "dante";
        s.server = "phantom@vps.example.com:22";
        s.phase = probe_ok ? "connected" : "reconnecting";
        s.last_probe_ok = probe_ok;
        s.last_error = probe_ok ? "" : "the server refused your member password";
        s.started_at = static_cast<std::int64_t>(std::time(nullptr)) - 600;
        s.last_probe_at = static_cast<std::int64_t>(std::time(nullptr)) - 2;
        daemon::write_state(files.state, s);
        write(files.token, "secret-token\n", fs::perms::owner_read | fs::perms::owner_write);
    }
};

bool has(const std::vector<Finding>& findings, Status status, const std::string& text) {
    for (const auto& f : findings) {
        if (f.status == status && (f.text + " fix: " + f.fix).find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

Status only(const std::vector<Finding>& findings) {
    REQUIRE(findings.size() == 1);
    return findings.front().status;
}

} // namespace

// --- config, key, host key, password ------------------------------------------------------

TEST_CASE("config: missing, unsafe, malformed, valid", "[doctor]") {
    Member m;
    m.context.config.reset();
    SECTION("valid: OK, and later checks get it") {
        const auto f = m.run(config_check());
        CHECK(only(f) == Status::ok);
        CHECK(f[0].text.find("dante mode, server vps.example.com:22") != std::string::npos);
        CHECK(m.context.config.has_value());
    }
    SECTION("missing: FAIL naming phantom init") {
        fs::remove(m.home / ".phantom" / "config");
        const auto f = m.run(config_check());
        CHECK(has(f, Status::fail, "~/.phantom/config does not exist"));
        CHECK(has(f, Status::fail, "phantom init"));
    }
    SECTION("readable by others: FAIL with the chmod") {
        fs::permissions(m.home / ".phantom" / "config", fs::perms::group_read, fs::perm_options::add);
        CHECK(has(m.run(config_check()), Status::fail, "chmod 600"));
    }
    SECTION("malformed: FAIL with line and column") {
        Member::write(m.home / ".phantom" / "config", "[server]\nhost = \"h\"\nportt = 22\n",
                      fs::perms::owner_read | fs::perms::owner_write);
        CHECK(has(m.run(config_check()), Status::fail, ":3:1:"));
    }
}

TEST_CASE("ssh key: missing, readable by others, a directory, fine", "[doctor]") {
    Member m;
    const auto key = m.home / ".ssh" / "phantom_ed25519";
    CHECK(only(m.run(ssh_key_check())) == Status::ok);
    fs::permissions(key, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
    CHECK(has(m.run(ssh_key_check()), Status::fail, "chmod 600 ~/.ssh/phantom_ed25519"));
    fs::remove(key);
    CHECK(has(m.run(ssh_key_check()), Status::fail, "does not exist"));
    fs::create_directory(key);
    CHECK(has(m.run(ssh_key_check()), Status::fail, "is a directory"));
}

TEST_CASE("host key: pinned, not pinned, missing file, another key", "[doctor]") {
    Member m;
    CHECK(has(m.run(host_key_check()), Status::ok, "vps.example.com pinned (ssh-ed25519)"));
    config::pin_host_key(m.home / ".phantom" / "known_hosts", "vps.example.com", 22,
                         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqHF33m5dAa4xpmdY7ofHEuZRXDBwfkNcnhT1Fjrb+5");
    CHECK(has(m.run(host_key_check()), Status::fail, "pins another key"));
    fs::remove(m.home / ".phantom" / "known_hosts");
    CHECK(has(m.run(host_key_check()), Status::fail, "is missing"));
    m.context.config->server.host_key.clear();
    CHECK(has(m.run(host_key_check()), Status::fail, "never trusts a key on first use"));
}

TEST_CASE("password: config file WARN, keychain OK, none FAIL, direct mode OK", "[doctor]") {
    Member m;
    CHECK(has(m.run(password_check()), Status::warn, "in ~/.phantom/config"));
    CHECK(has(m.run(password_check()), Status::warn, "libsecret-tools"));
    CHECK(m.context.password == "pw1");
    m.probes.macos = true;
    CHECK(has(m.run(password_check()), Status::warn, "stores the password in the Keychain"));
    m.context.config->auth.password.clear();
    m.context.password.reset();
    CHECK(has(m.run(password_check()), Status::fail, "neither the macOS Keychain nor the config"));
    m.probes.keychain_silent = true;
    CHECK(has(m.run(password_check()), Status::warn, "did not answer within 3 s"));
    m.probes.keychain_silent = false;
    m.probes.keychain["alice@vps.example.com:22"] = "from-keychain";
    CHECK(has(m.run(password_check()), Status::ok, "in the macOS Keychain"));
    CHECK(m.context.password == "from-keychain");
    m.context.config->tunnel.mode = config::Mode::direct;
    CHECK(has(m.run(password_check()), Status::ok, "direct mode"));
}

// --- tools ---------------------------------------------------------------------------------

TEST_CASE("ssh: OpenSSH OK with its version, missing FAIL, another ssh WARN", "[doctor]") {
    Member m;
    CHECK(has(m.run(ssh_tool_check()), Status::ok, "OpenSSH_9.2p1 Debian-2"));
    m.probes.commands["ssh -V"] = done(0, "", "Dropbear v2022.83\n");
    CHECK(has(m.run(ssh_tool_check()), Status::warn, "not OpenSSH"));
    m.probes.programs.erase("ssh");
    CHECK(has(m.run(ssh_tool_check()), Status::fail, "apt install openssh-client"));
    m.probes.env["PHANTOM_SSH"] = "/opt/ssh";
    m.probes.programs.insert("/opt/ssh");
    m.probes.commands["/opt/ssh -V"] = done(0, "", "OpenSSH_8.9p1\n");
    CHECK(has(m.run(ssh_tool_check()), Status::ok, "OpenSSH_8.9p1"));
}

TEST_CASE("autossh: present OK, missing WARN with the install command, disabled OK", "[doctor]") {
    Member m;
    CHECK(has(m.run(autossh_check()), Status::ok, "autossh 1.4g"));
    m.probes.programs.erase("autossh");
    CHECK(has(m.run(autossh_check()), Status::warn, "sudo apt install autossh"));
    m.probes.macos = true;
    CHECK(has(m.run(autossh_check()), Status::warn, "brew install autossh"));
    m.probes.env["PHANTOM_AUTOSSH"] = "none";
    CHECK(has(m.run(autossh_check()), Status::ok, "PHANTOM_AUTOSSH=none"));
}

// --- what gets in the way -----------------------------------------------------------------

TEST_CASE("proxy variables: none, an HTTP proxy, socks5://, inside a session", "[doctor]") {
    Member m;
    CHECK(only(m.run(proxy_variables_check())) == Status::ok);
    m.probes.env["https_proxy"] = "http://user:hunter2@127.0.0.1:7890";
    m.probes.env["HTTPS_PROXY"] = "http://user:hunter2@127.0.0.1:7890";
    auto f = m.run(proxy_variables_check()); // replaced in every child: reported, not a problem
    CHECK(only(f) == Status::ok);
    CHECK(has(f, Status::ok, "HTTPS_PROXY=http://***@127.0.0.1:7890, https_proxy=http://***@127.0.0.1:7890"));
    CHECK_FALSE(has(f, Status::ok, "hunter2"));
    m.probes.env["ALL_PROXY"] = "socks5://127.0.0.1:1080";
    m.probes.env["all_proxy"] = "socks4://127.0.0.1:1080";
    f = m.run(proxy_variables_check());
    CHECK(f.size() == 2); // one WARN for both local-DNS settings
    CHECK(has(f, Status::warn,
              "ALL_PROXY=socks5://127.0.0.1:1080, all_proxy=socks4://127.0.0.1:1080 in your shell"));
    CHECK(has(f, Status::warn, "resolves names on this machine"));
    CHECK(has(f, Status::warn, "use socks5h://"));
    m.probes.env["ALL_PROXY"] = "socks5h://127.0.0.1:1080";
    m.probes.env.erase("all_proxy");
    CHECK_FALSE(has(m.run(proxy_variables_check()), Status::warn, "resolves names on this machine"));
    m.probes.env["PHANTOM_ACTIVE"] = "1";
    f = m.run(proxy_variables_check());
    CHECK(only(f) == Status::warn);
    CHECK(has(f, Status::warn, "inside a phantom session"));
}

TEST_CASE("proxy apps: a known app with its port, a known port alone, our own port, none", "[doctor]") {
    Member m;
    m.probes.procs = {{1, "init"}, {77, "clash-verge"}, {78, "ClashX"}, {79, "clashd"}, {80, "sshd"}};
    m.probes.listeners[7897] = "clash-verge (pid 77)";
    m.probes.listeners[10808] = "";                  // owner not shown (macOS, another user)
    m.probes.listeners[9090] = "prometheus (pid 9)"; // a known owner that is no proxy app
    m.probes.listeners[1086] = "xray (pid 12)";      // a proxy app ps did not list (another user)
    auto f = m.run(proxy_apps_check());
    CHECK(has(f, Status::warn, "clash-verge (pid 77) is running, listening on 127.0.0.1:7897"));
    CHECK(has(f, Status::warn, "ClashX (pid 78) is running:"));
    CHECK_FALSE(has(f, Status::warn, "clashd"));
    CHECK_FALSE(has(f, Status::warn, "prometheus"));
    CHECK(has(f, Status::warn, "xray (pid 12) listens on 127.0.0.1:1086"));
    CHECK(has(f, Status::warn, "not name: 127.0.0.1:10808 (v2rayN (SOCKS))"));
    CHECK(has(f, Status::warn, "give vps.example.com a DIRECT rule"));
    CHECK(f.size() == 4);
    // With one proxy app running, ports whose owner is not shown are taken as its own.
    m.probes.procs = {{77, "mihomo"}};
    m.probes.listeners = {{7890, ""}, {7891, ""}};
    f = m.run(proxy_apps_check());
    CHECK(only(f) == Status::warn);
    CHECK(has(f, Status::warn, "mihomo (pid 77) is running, listening on 127.0.0.1:7890 and 127.0.0.1:7891"));
    m.probes.procs.clear();
    m.probes.listeners = {{1080, ""}};
    m.context.config->tunnel.local_port = 1080; // phantom's own tunnel there: no conflict
    CHECK(only(m.run(proxy_apps_check())) == Status::ok);
}

TEST_CASE("system proxy: macOS on and off, GNOME manual, KDE, none", "[doctor]") {
    Member m;
    m.probes.macos = true;
    m.probes.commands["scutil --proxy"] = done(0, "<dictionary> {\n  HTTPEnable : 0\n  HTTPSEnable : 1\n  "
                                                  "HTTPSPort : 7890\n  HTTPSProxy : 127.0.0.1\n}\n");
    CHECK(has(m.run(system_proxy_check()), Status::warn, "macOS system proxy on (HTTPS 127.0.0.1:7890)"));
    m.probes.commands["scutil --proxy"] = done(0, "<dictionary> {\n  HTTPEnable : 0\n}\n");
    CHECK(has(m.run(system_proxy_check()), Status::ok, "off"));
    m.probes.macos = false;
    m.probes.programs.insert("gsettings");
    m.probes.commands["gsettings get"] = done(0, "'manual'\n");
    CHECK(has(m.run(system_proxy_check()), Status::warn, "GNOME proxy mode 'manual'"));
    m.probes.commands["gsettings get"] = done(0, "'none'\n");
    CHECK(only(m.run(system_proxy_check())) == Status::ok);
    fs::create_directories(m.home / ".config");
    Member::write(m.home / ".config" / "kioslaverc", "[Proxy Settings]\nProxyType=1\n",
                  fs::perms::owner_read | fs::perms::owner_write);
    CHECK(has(m.run(system_proxy_check()), Status::warn, "KDE proxy settings"));
}

TEST_CASE("fake ip: the server's name in 198.18.0.0/15 FAILs", "[doctor]") {
    Member m;
    m.probes.names["vps.example.com"] = {"198.19.255.1"};
    CHECK(has(m.run(fake_ip_check()), Status::fail, "fake-ip-filter"));
    m.probes.names["vps.example.com"] = {"198.20.0.1", "203.0.113.7"};
    CHECK(has(m.run(fake_ip_check()), Status::ok, "no fake IP"));
    m.probes.names.clear();
    CHECK(only(m.run(fake_ip_check())) == Status::skipped);
    m.context.config->server.host = "203.0.113.7";
    CHECK(has(m.run(fake_ip_check()), Status::ok, "is an address"));
}

// --- the connection -----------------------------------------------------------------------

TEST_CASE("server: reachable, name unknown, refused, silent, other", "[doctor]") {
    Member m;
    using R = ConnectOutcome::Result;
    m.probes.connect_outcome = {R::ok, "203.0.113.7", "", std::chrono::milliseconds(23)};
    CHECK(has(m.run(server_check()), Status::ok,
              "vps.example.com:22 (203.0.113.7) accepts connections (23 ms)"));
    m.probes.connect_outcome = {R::dns_failure, "", "Host not found", {}};
    CHECK(has(m.run(server_check()), Status::fail, "vps.example.com does not resolve: Host not found"));
    m.probes.connect_outcome = {R::refused, "203.0.113.7", "Connection refused", {}};
    CHECK(has(m.run(server_check()), Status::fail, "refused the connection"));
    m.probes.connect_outcome = {R::timeout, "203.0.113.7", "", {}};
    CHECK(has(m.run(server_check()), Status::fail, "no answer from vps.example.com:22"));
    m.probes.connect_outcome = {R::other, "203.0.113.7", "Network is unreachable", {}};
    CHECK(has(m.run(server_check()), Status::fail, "Network is unreachable"));
}

TEST_CASE("ssh login: accepted, host key changed, key refused, stalled; forwards in ~/.ssh/config",
          "[doctor]") {
    Member m;
    CommandOutcome login = done(1, "", "This account is currently not available.\n");
    CommandOutcome config_dump = done(0, "user phantom\nport 22\n");
    m.probes.on_run = [&](const std::vector<std::string>& argv, const std::optional<sys::Environment>&) {
        return argv.at(1) == "-G" ? config_dump : login;
    };
    auto f = m.run(ssh_login_check());
    CHECK(has(f, Status::ok, "phantom@vps.example.com accepted phantom's key"));
    const auto& argv = m.probes.ran.front();
    CHECK(std::find(argv.begin(), argv.end(), "BatchMode=yes") != argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "ClearAllForwardings=yes") != argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "-N") == argv.end());
    CHECK(argv.back() == "vps.example.com");
    login = done(255, "",
                 "@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification "
                 "failed.\n");
    CHECK(has(m.run(ssh_login_check()), Status::fail, "host key"));
    login = done(255, "", "phantom@vps.example.com: Permission denied (publickey).\n");
    CHECK(has(m.run(ssh_login_check()), Status::fail, "refused"));
    login = CommandOutcome{true, true, 137, "", ""};
    CHECK(has(m.run(ssh_login_check()), Status::fail, "did not finish within 4 s"));
    login = CommandOutcome{};
    CHECK(has(m.run(ssh_login_check()), Status::fail, "could not run ssh"));
    login = done(255, "", "debug1: x\nkex_exchange_identification: something new\n\n");
    CHECK(has(m.run(ssh_login_check()), Status::fail, "failed: kex_exchange_identification: something new"));
    login = done(1, "");
    config_dump = done(0, "user phantom\nlocalforward 127.0.0.1:5432 db:5432\n");
    CHECK(has(m.run(ssh_login_check()), Status::warn, "adds \"localforward 127.0.0.1:5432 db:5432\""));
}

TEST_CASE("tunnel: not connected, healthy, password refused, daemon failing", "[doctor]") {
    Member m;
    m.context.password = "pw1";
    CHECK(has(m.run(tunnel_check()), Status::warn, "not connected"));
    m.connected();
    auto f = m.run(tunnel_check());
    CHECK(f.size() == 2);
    CHECK(f[0].status == Status::ok);
    CHECK(f[1].status == Status::ok);
    CHECK(has(f, Status::ok, "phantom@vps.example.com:22 (dante mode) via autossh pid 4243, up 10 min"));
    CHECK(has(f, Status::ok, "member password accepted"));
    REQUIRE(m.probes.probed_with.has_value());
    CHECK(m.probes.probed_with->user == "alice");
    CHECK(m.probes.probed_with->password == "pw1");
    CHECK(m.context.bridge.has_value());
    m.probes.probe.failure = tunnel::ProbeFailure::auth_rejected;
    f = m.run(tunnel_check());
    CHECK(f.size() == 2);
    CHECK(has(f, Status::fail, "refused the member password of alice"));
    m.connected(false); // the daemon's own probe failed: said once, doctor does not probe again
    m.probes.probed_with.reset();
    f = m.run(tunnel_check());
    CHECK(only(f) == Status::fail);
    CHECK(has(f, Status::fail, "the daemon is reconnecting: the server refused"));
    CHECK_FALSE(m.probes.probed_with.has_value());
    m.context.password.reset(); // no password to probe with: the password check said why
    m.connected();
    CHECK(m.run(tunnel_check()).size() == 1);
}

TEST_CASE("bridge: answers with the token, refuses without; each failure", "[doctor]") {
    Member m;
    m.context.daemon_running = true;
    m.connected();
    m.context.state = daemon::read_state(daemon::daemon_files(m.home).state);
    m.context.bridge = daemon::BridgeAccess{17999, "secret-token"};
    std::string with = "HTTP/1.1 502 Bad Gateway\r\n\r\nconnection refused";
    std::string without = "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    m.probes.bridge = [&](const std::string& request) -> std::optional<std::string> {
        return request.find("Proxy-Authorization: Basic ") != std::string::npos ? with : without;
    };
    CHECK(has(m.run(bridge_check()), Status::ok, "127.0.0.1:17999 answers with the token (HTTP 502)"));
    without = "HTTP/1.1 502 Bad Gateway\r\n\r\n";
    CHECK(has(m.run(bridge_check()), Status::fail, "other local users"));
    without = "";
    CHECK(has(m.run(bridge_check()), Status::fail, "answers with the token, not without it"));
    with = "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    CHECK(has(m.run(bridge_check()), Status::fail, "refuses its own token"));
    with = "SSH-2.0-OpenSSH_9.2\r\n";
    CHECK(has(m.run(bridge_check()), Status::fail, "does not answer like phantom's bridge"));
    with = "";
    CHECK(has(m.run(bridge_check()), Status::fail, "does not answer"));
    m.context.bridge.reset();
    CHECK(has(m.run(bridge_check()), Status::fail, "publishes no bridge"));
    m.context.daemon_running = false;
    CHECK(only(m.run(bridge_check())) == Status::skipped);
}

TEST_CASE("dns leak: only the bridge, or a proxy setting phantom does not replace", "[doctor]") {
    Member m;
    m.probes.env["HTTPS_PROXY"] = "socks5://127.0.0.1:1080"; // replaced in the child: no leak
    CHECK(has(m.run(dns_leak_check()), Status::ok, "commands get only the bridge"));
    m.probes.env["SOCKS_PROXY"] = "socks5://127.0.0.1:1080";
    m.probes.env["npm_config_https_proxy"] = "http://127.0.0.1:7890";
    const auto f = m.run(dns_leak_check());
    CHECK(f.size() == 2);
    CHECK(has(f, Status::fail, "SOCKS_PROXY=socks5://127.0.0.1:1080 reaches every command"));
    CHECK(has(f, Status::fail, "names resolved on this machine"));
    CHECK(has(f, Status::fail, "unset npm_config_https_proxy"));
    m.probes.env = {{"FTP_PROXY", "http://127.0.0.1:7890"},
                    {"JAVA_TOOL_OPTIONS", "-Dhttps.proxyHost=p -Dhttps.proxyPassword=hunter2 -Xmx1g"}};
    const auto g = m.run(dns_leak_check());
    CHECK(g.size() == 2);
    CHECK(has(g, Status::warn,
              "FTP_PROXY=http://127.0.0.1:7890 reaches every command run through phantom and "
              "sends that protocol around"));
    CHECK(has(g, Status::fail, "-Dhttps.proxyPassword=*** -Xmx1g"));
    CHECK_FALSE(has(g, Status::fail, "hunter2"));
}

TEST_CASE("remote dns: a name only the server resolves, reached; a failure with the bridge's cause",
          "[doctor]") {
    Member m;
    m.context.options.dns_target = "api.internal:443";
    m.context.bridge = daemon::BridgeAccess{17999, "secret-token"};
    std::string reply = "HTTP/1.1 200 Connection established\r\n\r\n";
    m.probes.bridge = [&](const std::string& request) -> std::optional<std::string> {
        CHECK(request.rfind("CONNECT api.internal:443 HTTP/1.1\r\n", 0) == 0);
        return reply;
    };
    CHECK(has(m.run(remote_dns_check()), Status::ok, "api.internal:443 reached through the bridge by name"));
    reply = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 30\r\n\r\nhost unreachable (no route)\n";
    CHECK(has(m.run(remote_dns_check()), Status::fail, "502 Bad Gateway host unreachable (no route)"));
    m.context.bridge.reset();
    CHECK(only(m.run(remote_dns_check())) == Status::skipped);
}

TEST_CASE("sandbox: absent, healthy, readable by others, isolated name linked, dangling links", "[doctor]") {
    Member m;
    const auto shadow = m.home / ".phantom_env";
    CHECK(has(m.run(sandbox_check()), Status::ok, "not created yet"));
    fs::create_directory(shadow);
    fs::permissions(shadow, fs::perms::owner_all);
    fs::create_directory_symlink(m.home / ".ssh", shadow / ".ssh");
    CHECK(has(m.run(sandbox_check()), Status::ok, "0700, yours, 1 links"));
    fs::permissions(shadow,
                    fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec,
                    fs::perm_options::add);
    CHECK(has(m.run(sandbox_check()), Status::fail, "chmod 700 ~/.phantom_env"));
    fs::permissions(shadow, fs::perms::owner_all);
    fs::create_symlink(m.home / ".claude.json", shadow / ".claude.json");
    CHECK(has(m.run(sandbox_check()), Status::fail, "~/.phantom_env/.claude.json is a link"));
    fs::remove(shadow / ".claude.json");
    fs::create_symlink(m.home / "gone", shadow / "gone");
    CHECK(has(m.run(sandbox_check()), Status::warn, "1 of the 2 links"));
}

TEST_CASE("egress: another address OK, the same address FAIL, curl missing FAIL", "[doctor]") {
    Member m;
    m.context.options.egress_url = "https://ip.example/";
    m.context.bridge = daemon::BridgeAccess{17999, "secret-token"};
    std::string direct = "198.51.100.9\n";
    std::string through = "203.0.113.7\n";
    m.probes.on_run = [&](const std::vector<std::string>&, const std::optional<sys::Environment>& env) {
        const bool proxied = env && env->count("HTTPS_PROXY") != 0;
        return done(0, proxied ? through : direct);
    };
    m.probes.env["HTTPS_PROXY"] = "http://127.0.0.1:7890"; // the user's own: not used directly
    CHECK(has(m.run(egress_check()), Status::ok, "through phantom 203.0.113.7, directly 198.51.100.9"));
    direct = through;
    CHECK(has(m.run(egress_check()), Status::fail, "the same address"));
    m.probes.programs.erase("curl");
    CHECK(has(m.run(egress_check()), Status::fail, "curl is not installed"));
}

// --- the runner and the output -------------------------------------------------------------

namespace {

class Scripted final : public Check {
public:
    Scripted(std::string name, std::vector<std::string_view> needs,
             std::function<std::vector<Finding>()> body)
        : m_name(std::move(name)), m_needs(std::move(needs)), m_body(std::move(body)) {}
    std::string_view name() const override { return m_name; }
    std::vector<std::string_view> needs() const override { return m_needs; }
    std::vector<Finding> run(Context& /*context*/) const override { return m_body(); }

private:
    std::string m_name;
    std::vector<std::string_view> m_needs;
    std::function<std::vector<Finding>()> m_body;
};

} // namespace

TEST_CASE("runner: a failed or skipped need skips its dependents, naming it; errors become FAILs",
          "[doctor]") {
    Member m;
    Checks checks;
    checks.push_back(std::make_unique<Scripted>("server", std::vector<std::string_view>{}, [] {
        return std::vector<Finding>{{"", Status::fail, "down", "start it"}};
    }));
    checks.push_back(std::make_unique<Scripted>("tunnel", std::vector<std::string_view>{"server"}, [] {
        FAIL("a check whose need failed ran");
        return std::vector<Finding>{};
    }));
    checks.push_back(std::make_unique<Scripted>("bridge", std::vector<std::string_view>{"tunnel"}, [] {
        FAIL("a check whose need was skipped ran");
        return std::vector<Finding>{};
    }));
    checks.push_back(
        std::make_unique<Scripted>("config", std::vector<std::string_view>{},
                                   []() -> std::vector<Finding> { throw Error("bad thing", "do this"); }));
    checks.push_back(std::make_unique<Scripted>("after", std::vector<std::string_view>{"proxy"}, [] {
        return std::vector<Finding>{{"", Status::warn, "w", "f"}};
    }));
    const auto f = run_checks(checks, m.context);
    REQUIRE(f.size() == 5);
    CHECK(f[1].check == "tunnel");
    CHECK(f[1].status == Status::skipped);
    CHECK(f[1].text == "not checked: needs \"server\" (above)");
    CHECK(f[2].status == Status::skipped);
    CHECK(f[3].status == Status::fail);
    CHECK(f[3].text == "bad thing");
    CHECK(f[3].fix == "do this");
    CHECK(f[4].check == "after");
    CHECK(f[4].status == Status::warn); // a need that never ran does not block
    CHECK(any_failure(f));
}

TEST_CASE("render: a column of statuses, fixes below, a summary; colour only when asked; JSON", "[doctor]") {
    const std::vector<Finding> f = {{"config", Status::ok, "fine", ""},
                                    {"proxy apps", Status::warn, "mihomo runs", "quit it"},
                                    {"server", Status::fail, "down \"really\"", "start it"},
                                    {"tunnel", Status::skipped, "not checked", ""}};
    const std::string text = render_text(f, false);
    CHECK(text == "OK    config      fine\n"
                  "WARN  proxy apps  mihomo runs\n"
                  "                  fix: quit it\n"
                  "FAIL  server      down \"really\"\n"
                  "                  fix: start it\n"
                  "--    tunnel      not checked\n"
                  "\n1 failed, 1 warning\n");
    CHECK(render_text(f, true).find("\x1b[31;1mFAIL\x1b[0m") != std::string::npos);
    CHECK(render_text({f[0]}, false).find("no problems found") != std::string::npos);
    const auto json = boost::json::parse(render_json(f)).as_object();
    CHECK(json.at("ok").as_bool() == false);
    CHECK(json.at("fail").as_int64() == 1);
    CHECK(json.at("warn").as_int64() == 1);
    const auto& checks = json.at("checks").as_array();
    REQUIRE(checks.size() == 4);
    CHECK(checks[2].at("finding").as_string() == "down \"really\"");
    CHECK(checks[3].at("status").as_string() == "skipped");
}

TEST_CASE("standard checks: every check once, in cause-first order, egress only when asked", "[doctor]") {
    std::vector<std::string> names;
    for (const auto& c : standard_checks(Options{})) {
        names.emplace_back(c->name());
    }
    CHECK(names == std::vector<std::string>{"config", "ssh key", "host key", "password", "ssh", "autossh",
                                            "proxy variables", "proxy apps", "system proxy", "fake ip",
                                            "server", "ssh login", "tunnel", "bridge", "dns leak",
                                            "remote dns", "sandbox"});
    Options with_egress;
    with_egress.egress_url = "https://ip.example/";
    CHECK(standard_checks(with_egress).back()->name() == "egress");
    // Each check comes after the checks it needs.
    std::set<std::string, std::less<>> seen;
    for (const auto& c : standard_checks(with_egress)) {
        for (const auto need : c->needs()) {
            CHECK(seen.count(need) == 1);
        }
        seen.insert(std::string(c->name()));
    }
}
