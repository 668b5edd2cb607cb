// SPDX-License-Identifier: MIT
// The checks of `phantom doctor`: each finds one kind of problem and names its fix.
#include <phantom/bridge/http.hpp>
#include <phantom/config/known_hosts.hpp>
#include <phantom/config/secrets.hpp>
#include <phantom/doctor/checks.hpp>
#include <phantom/error.hpp>
#include <phantom/session/environment.hpp>
#include <phantom/session/session.hpp>
#include <phantom/sys/base64.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/tunnel/command.hpp>
#include <phantom/tunnel/diagnose.hpp>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <set>
#include <sstream>

namespace phantom::doctor {
namespace {

using namespace std::chrono_literals;

Finding ok(std::string text) {
    return {"", Status::ok, std::move(text), ""};
}
Finding warn(std::string text, std::string fix) {
    return {"", Status::warn, std::move(text), std::move(fix)};
}
Finding fail(std::string text, std::string fix) {
    return {"", Status::fail, std::move(text), std::move(fix)};
}
Finding skipped(std::string text) {
    return {"", Status::skipped, std::move(text), ""};
}

/// `path` as the user would type it: "~/…" under the home directory.
std::string shown(const std::filesystem::path& path, const std::filesystem::path& home) {
    const std::string p = path.string();
    const std::string h = home.string();
    if (!h.empty() && p.size() > h.size() && p.compare(0, h.size(), h) == 0 && p[h.size()] == '/') {
        return "~" + p.substr(h.size());
    }
    return p;
}

std::string first_line(std::string_view text) {
    const auto nl = text.find('\n');
    std::string line(text.substr(0, nl));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.pop_back();
    }
    return line;
}

/// The last line of `text` that is not blank; "no message" when there is none.
std::string last_line(std::string_view text) {
    std::string last = "no message";
    std::size_t start = 0;
    while (start < text.size()) {
        const auto nl = text.find('\n', start);
        const std::string line =
            first_line(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
        if (!line.empty()) {
            last = line;
        }
        start = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    return last;
}
/// A proxy setting with its secrets replaced by "***": user:password@ in a URL (the token,
/// a member password) and -D…Password=VALUE (JAVA_TOOL_OPTIONS).
std::string masked(std::string value) {
    for (auto key = value.find("assword="); key != std::string::npos; key = value.find("assword=", key + 1)) {
        const auto start = key + 8;
        const auto end = value.find(' ', start);
        value.replace(start, (end == std::string::npos ? value.size() : end) - start, "***");
    }
    const auto at = value.rfind('@');
    const auto scheme = value.find("://");
    if (at == std::string::npos) {
        return value;
    }
    const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    if (at < start) {
        return value;
    }
    return value.substr(0, start) + "***" + value.substr(at);
}

/// Settings only FTP, rsync or git's own transport read: not the HTTP(S) traffic of the
/// commands phantom is for.
bool minor_protocol(std::string_view name) {
    return name == "FTP_PROXY" || name == "ftp_proxy" || name == "RSYNC_PROXY" || name == "GIT_PROXY_COMMAND";
}
/// True for a URL whose scheme makes the client resolve names itself before asking the
/// proxy (socks5://, socks4://): the lookups leave this machine outside the tunnel.
bool resolves_locally(const std::string& value) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return lower.rfind("socks5://", 0) == 0 || lower.rfind("socks4://", 0) == 0 ||
           lower.rfind("socks://", 0) == 0;
}

// The variables phantom sets in every child, overriding the user's.
constexpr std::array<const char*, 6> k_replaced = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                                   "http_proxy", "https_proxy", "all_proxy"};
// Proxy settings some tools read that phantom does not replace: they reach the child as set.
constexpr std::array<const char*, 19> k_not_replaced = {"FTP_PROXY",
                                                        "ftp_proxy",
                                                        "SOCKS_PROXY",
                                                        "socks_proxy",
                                                        "SOCKS5_PROXY",
                                                        "socks5_proxy",
                                                        "SOCKS_SERVER",
                                                        "SOCKS5_SERVER",
                                                        "RSYNC_PROXY",
                                                        "npm_config_proxy",
                                                        "npm_config_https_proxy",
                                                        "NPM_CONFIG_PROXY",
                                                        "NPM_CONFIG_HTTPS_PROXY",
                                                        "YARN_PROXY",
                                                        "YARN_HTTPS_PROXY",
                                                        "GLOBAL_AGENT_HTTP_PROXY",
                                                        "GLOBAL_AGENT_HTTPS_PROXY",
                                                        "GIT_PROXY_COMMAND",
                                                        "JAVA_TOOL_OPTIONS"};

bool is_set(const sys::Environment& env, const std::string& name) {
    const auto it = env.find(name);
    if (it == env.end() || it->second.empty()) {
        return false;
    }
    // JAVA_TOOL_OPTIONS carries many settings; only its proxy ones matter here.
    return name != "JAVA_TOOL_OPTIONS" || it->second.find("roxyHost") != std::string::npos;
}

std::string install_hint(Probes& probes, const std::string& package) {
    return probes.is_macos() ? fmt::format("brew install {}", package)
                             : fmt::format("sudo apt install {} (or your distribution's package)", package);
}

std::string age(std::int64_t seconds) {
    if (seconds < 120) {
        return fmt::format("{} s", std::max<std::int64_t>(seconds, 0));
    }
    if (seconds < 7200) {
        return fmt::format("{} min", seconds / 60);
    }
    return fmt::format("{} h", seconds / 3600);
}

/// The status code of an HTTP reply ("HTTP/1.1 407 …" -> 407); 0 when it is none.
int http_status(const std::string& reply) {
    const auto length = bridge::head_length(reply);
    if (!length) {
        return 0;
    }
    const auto head = bridge::parse_response_head(std::string_view(reply).substr(0, *length));
    return head ? head->status : 0;
}

std::string connect_request(const std::string& target, const std::optional<std::string>& token) {
    std::string request = fmt::format("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", target);
    if (token) {
        request += "Proxy-Authorization: Basic " + sys::base64_encode("phantom:" + *token) + "\r\n";
    }
    return request + "\r\n";
}

/// The reply's body (the bridge names the cause there), on one line.
std::string reply_body(const std::string& reply) {
    const auto length = bridge::head_length(reply);
    return length ? first_line(std::string_view(reply).substr(*length)) : "";
}

// ---------------------------------------------------------------------------------------

class ConfigCheck final : public Check {
public:
    std::string_view name() const override { return "config"; }
    std::vector<Finding> run(Context& c) const override {
        c.config_file = config::config_path(c.home);
        const std::string where = shown(c.config_file, c.home);
        auto st = sys::file_status(c.config_file, true);
        if (!st || !st->exists) {
            return {
                fail(fmt::format("{} does not exist", where),
                     "run `phantom init --invite URI` with the invite from your admin (or `phantom init`)")};
        }
        c.config = config::load_config(c.config_file); // its errors name line, column and fix
        return {ok(fmt::format("{}: valid, private, {} mode, server {}:{}", where,
                               config::to_string(c.config->tunnel.mode), c.config->server.host,
                               c.config->server.port))};
    }
};

class SshKeyCheck final : public Check {
public:
    std::string_view name() const override { return "ssh key"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto key = config::expand_home(c.config->auth.ssh_key, c.home);
        const std::string where = shown(key, c.home);
        auto st = sys::file_status(key, true);
        if (!st || !st->exists) {
            return {fail(
                fmt::format("the SSH key {} does not exist", where),
                "run `phantom init` to create one (send the .pub to your admin), or set [auth] ssh_key")};
        }
        if (st->is_directory) {
            return {fail(fmt::format("the SSH key {} is a directory", where),
                         "set [auth] ssh_key to the key file")};
        }
        if (st->owner != sys::current_uid()) {
            return {fail(
                fmt::format("the SSH key {} belongs to uid {}, not to you: ssh refuses it", where, st->owner),
                fmt::format("sudo chown \"$USER\" {}", where))};
        }
        if ((st->mode & 077) != 0) {
            return {fail(
                fmt::format("the SSH key {} has mode {:04o}: others can read it, and ssh refuses such a key",
                            where, st->mode),
                fmt::format("chmod 600 {}", where))};
        }
        return {ok(fmt::format("{}: mode {:04o}, yours", where, st->mode))};
    }
};

class HostKeyCheck final : public Check {
public:
    std::string_view name() const override { return "host key"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto& server = c.config->server;
        const std::string pattern = config::known_hosts_pattern(server.host, server.port);
        const std::string again =
            "run `phantom init --invite URI` again (or `phantom init --host-key 'TYPE BASE64'` "
            "with the key your admin gives you)";
        if (server.host_key.empty()) {
            return {fail(
                fmt::format("no host key pinned for {}: ssh would refuse the server (phantom never trusts "
                            "a key on first use)",
                            pattern),
                again)};
        }
        const auto files = daemon::daemon_files(c.home);
        const auto known = sys::read_file(files.known_hosts);
        const std::string where = shown(files.known_hosts, c.home);
        if (!known) {
            return {fail(
                fmt::format("{} is missing: the pinned key of {} is not where ssh looks", where, pattern),
                again)};
        }
        std::istringstream lines(*known);
        std::string line;
        bool found = false;
        while (std::getline(lines, line)) {
            if (line.rfind(pattern + " ", 0) == 0) {
                found = true;
                if (line.substr(pattern.size() + 1) == server.host_key) {
                    const std::string type = server.host_key.substr(0, server.host_key.find(' '));
                    return {ok(fmt::format("{} pinned ({}) in {}", pattern, type, where))};
                }
            }
        }
        return {fail(found ? fmt::format("{} pins another key for {} than ~/.phantom/config", where, pattern)
                           : fmt::format("{} holds no key for {}", where, pattern),
                     again)};
    }
};

class PasswordCheck final : public Check {
public:
    std::string_view name() const override { return "password"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto& cfg = *c.config;
        if (cfg.tunnel.mode != config::Mode::dante) {
            return {ok("direct mode: no member password needed")};
        }
        const std::string store = c.probes.is_macos() ? "macOS Keychain" : "Secret Service (secret-tool)";
        if (!cfg.auth.password.empty()) {
            c.password = cfg.auth.password;
            return {warn(
                fmt::format(
                    "the member password of {} is in ~/.phantom/config (mode 0600), not in a keychain",
                    cfg.auth.socks_user),
                c.probes.is_macos()
                    ? "run `phantom init --invite URI` again: it stores the password in the Keychain"
                    : "install secret-tool (`sudo apt install libsecret-tools`) with a desktop keyring, then "
                      "run `phantom init --invite URI` again")};
        }
        const auto account = config::secret_account(cfg.auth.socks_user, cfg.server.host, cfg.server.port);
        auto stored = c.probes.keychain_password(account);
        if (stored.password) {
            c.password = std::move(stored.password);
            return {ok(fmt::format("the member password of {} is in the {}", cfg.auth.socks_user, store))};
        }
        if (stored.timed_out) {
            return {
                warn(fmt::format("the {} did not answer within 3 s (locked, or waiting on a prompt)", store),
                     "unlock it (or answer its prompt), then run `phantom doctor` again")};
        }
        return {
            fail(fmt::format("no member password for {}: neither the {} nor the config holds it",
                             cfg.auth.socks_user, store),
                 "run `phantom init --invite URI` with your invite (or `phantom init --password-stdin`)")};
    }
};
/// The program the daemon would run for `name` ("ssh", "autossh"): PHANTOM_SSH /
/// PHANTOM_AUTOSSH name another one (the daemon's seams).
std::string program_for(Probes& probes, const std::string& name, const char* variable) {
    const auto env = probes.environment();
    const auto it = env.find(variable);
    return it != env.end() && !it->second.empty() ? it->second : name;
}

class SshToolCheck final : public Check {
public:
    std::string_view name() const override { return "ssh"; }
    std::vector<Finding> run(Context& c) const override {
        const std::string program = program_for(c.probes, "ssh", "PHANTOM_SSH");
        if (!c.probes.find_program(program)) {
            return {fail(fmt::format("{} is not installed (not on PATH)", program),
                         c.probes.is_macos() ? "macOS ships ssh in /usr/bin: check your PATH"
                                             : install_hint(c.probes, "openssh-client"))};
        }
        const auto r = c.probes.run({program, "-V"}, std::nullopt, 3s);
        const std::string version = first_line(r.err.empty() ? r.out : r.err);
        if (!r.started || r.exit_code != 0 || version.empty()) {
            return {fail(fmt::format("`{} -V` failed: {}", program, version.empty() ? "no output" : version),
                         "reinstall OpenSSH")};
        }
        const std::string short_version = version.substr(0, version.find(','));
        if (short_version.rfind("OpenSSH_", 0) != 0) {
            return {warn(
                fmt::format("{} is not OpenSSH ({}): phantom passes OpenSSH options", program, short_version),
                install_hint(c.probes, c.probes.is_macos() ? "openssh" : "openssh-client"))};
        }
        return {ok(short_version)};
    }
};

class AutosshCheck final : public Check {
public:
    std::string_view name() const override { return "autossh"; }
    std::vector<Finding> run(Context& c) const override {
        const std::string program = program_for(c.probes, "autossh", "PHANTOM_AUTOSSH");
        if (program == "none") {
            return {ok("not used (PHANTOM_AUTOSSH=none): phantom supervises ssh itself")};
        }
        if (!c.probes.find_program(program)) {
            return {warn("autossh is not installed: phantom supervises ssh itself instead",
                         install_hint(c.probes, "autossh"))};
        }
        const auto r = c.probes.run({program, "-V"}, std::nullopt, 3s);
        const std::string version = first_line(r.out.empty() ? r.err : r.out);
        return {ok(version.empty() ? program : version)};
    }
};

class ProxyVariablesCheck final : public Check {
public:
    std::string_view name() const override { return "proxy variables"; }
    std::vector<Finding> run(Context& c) const override {
        const auto env = c.probes.environment();
        if (env.count(session::k_active_variable) != 0) {
            return {
                warn(fmt::format("{} is set: doctor runs inside a phantom session (phantom shell?), where "
                                 "`phantom CMD` runs CMD as it is and the proxy variables are phantom's",
                                 session::k_active_variable),
                     "run `phantom doctor` from a shell outside the session (`exit` leaves phantom shell)")};
        }
        std::vector<std::string> local_dns;
        std::vector<std::string> others;
        for (const char* name : k_replaced) {
            if (is_set(env, name)) {
                (resolves_locally(env.at(name)) ? local_dns : others)
                    .push_back(fmt::format("{}={}", name, masked(env.at(name))));
            }
        }
        std::vector<Finding> out;
        if (!local_dns.empty()) {
            out.push_back(
                warn(fmt::format("{} in your shell: socks5:// resolves names on this machine, not "
                                 "socks5h://; tools run without phantom leak their DNS lookups "
                                 "(`phantom CMD` replaces {})",
                                 fmt::join(local_dns, ", "), local_dns.size() == 1 ? "it" : "them"),
                     "use socks5h:// instead, or remove it from your shell profile (~/.zshrc, ~/.bashrc)"));
        }
        if (!others.empty()) {
            out.push_back(ok(fmt::format("set in your shell: {}; `phantom CMD` replaces {} with its own",
                                         fmt::join(others, ", "), others.size() == 1 ? "it" : "them")));
        }
        if (out.empty()) {
            out.push_back(ok("no proxy variable set in your shell (phantom sets its own for each command)"));
        }
        return out;
    }
};
/// Names (as `ps -o comm` shows them, lower case) of proxy apps: an exact name, or a
/// prefix followed by '-', '_', '.', ' ' or a digit ("clash-verge", "mihomo-darwin-arm64").
constexpr std::array<const char*, 22> k_proxy_app_prefixes = {
    "clash",    "mihomo", "v2ray",        "xray",       "sing-box", "shadowsocks", "ss-local", "sslocal",
    "ss-redir", "trojan", "hysteria",     "tun2socks",  "nekoray",  "nekobox",     "qv2ray",   "hiddify",
    "flclash",  "surge",  "shadowrocket", "quantumult", "v2raya",   "verge-mihomo"};
constexpr std::array<const char*, 9> k_proxy_app_names = {"stash", "loon",  "naive",  "tuic", "glider",
                                                          "gost",  "brook", "karing", "sfm"};

bool is_proxy_app(std::string name) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (std::find(k_proxy_app_names.begin(), k_proxy_app_names.end(), name) != k_proxy_app_names.end()) {
        return true;
    }
    return std::any_of(k_proxy_app_prefixes.begin(), k_proxy_app_prefixes.end(),
                       [&](std::string_view prefix) {
                           if (name.rfind(prefix, 0) != 0) {
                               return false;
                           }
                           if (name.size() == prefix.size()) {
                               return true;
                           }
                           const char next = name[prefix.size()];
                           return next == '-' || next == '_' || next == '.' || next == ' ' ||
                                  (next >= '0' && next <= '9') || next == 'x'; // clashx
                       });
}

struct KnownPort {
    std::uint16_t port;
    const char* usual_for;
};
constexpr std::array<KnownPort, 15> k_proxy_ports = {{
    {7890, "Clash/mihomo (mixed)"},
    {7891, "Clash/mihomo (SOCKS)"},
    {7897, "Clash Verge (mixed)"},
    {7892, "Clash (redir)"},
    {9090, "Clash's controller"},
    {6152, "Surge (HTTP)"},
    {6153, "Surge (SOCKS)"},
    {1080, "SOCKS proxies (Shadowsocks, V2Ray)"},
    {1086, "V2RayU (SOCKS)"},
    {1087, "V2RayU (HTTP)"},
    {10808, "v2rayN (SOCKS)"},
    {10809, "v2rayN (HTTP)"},
    {2080, "NekoRay"},
    {20171, "v2rayA"},
    {8889, "Qv2ray (HTTP)"},
}};

/// How to keep a proxy app off the ssh connection to `server`.
std::string exclusion_fix(const Context& c) {
    const std::string server = c.config ? c.config->server.host : std::string("the team server");
    return fmt::format(
        "give {} a DIRECT rule in it (Clash/mihomo: `IP-CIDR,ADDRESS/32,DIRECT,no-resolve` at the "
        "top of rules, and the name in fake-ip-filter; Surge the same), or quit it while you use phantom",
        server);
}

class ProxyAppsCheck final : public Check {
public:
    std::string_view name() const override { return "proxy apps"; }
    std::vector<Finding> run(Context& c) const override {
        // Ports phantom itself uses are not a conflict.
        std::set<std::uint16_t> ours;
        if (c.config) {
            ours.insert(c.config->tunnel.local_port);
            ours.insert(c.config->tunnel.bridge_port);
        }
        const auto state = daemon::read_state(daemon::daemon_files(c.home).state);
        if (state) {
            ours.insert(state->local_port);
            ours.insert(state->bridge_port);
        }
        std::map<int, std::pair<std::string, std::vector<std::uint16_t>>> apps; // pid -> name, ports
        for (const auto& p : c.probes.processes()) {
            if (is_proxy_app(p.name)) {
                apps[p.pid].first = p.name;
            }
        }
        std::vector<Finding> out;
        std::vector<KnownPort> unowned;
        for (const auto& known : k_proxy_ports) {
            if (ours.count(known.port) != 0) {
                continue;
            }
            const auto owner = c.probes.loopback_listener(known.port);
            if (!owner) {
                continue;
            }
            // "NAME (pid N)": the port goes on that app's line when it is one; a known owner
            // that is no proxy app (prometheus on 9090, the user's own ssh -D) is not a conflict.
            const auto pid_at = owner->rfind(" (pid ");
            const int pid = pid_at == std::string::npos ? 0 : std::atoi(owner->c_str() + pid_at + 6);
            if (pid != 0 && apps.count(pid) != 0) {
                apps[pid].second.push_back(known.port);
            } else if (owner->empty()) {
                unowned.push_back(known);
            } else if (is_proxy_app(owner->substr(0, pid_at))) {
                out.push_back(
                    warn(fmt::format("{} listens on 127.0.0.1:{}: a proxy app in TUN or system-proxy mode "
                                     "captures the ssh connection to the team server",
                                     *owner, known.port),
                         exclusion_fix(c)));
            }
        }
        // Owners this system does not name (macOS; other users' processes): with one proxy
        // app running they are its ports, else one line for them all.
        if (!unowned.empty() && apps.size() == 1) {
            for (const auto& known : unowned) {
                apps.begin()->second.second.push_back(known.port);
            }
        } else if (!unowned.empty()) {
            std::vector<std::string> listed;
            for (const auto& known : unowned) {
                listed.push_back(fmt::format("127.0.0.1:{} ({})", known.port, known.usual_for));
            }
            out.push_back(
                warn(fmt::format("in use by a process this system does not name: {}, the usual ports of "
                                 "proxy apps",
                                 fmt::join(listed, ", ")),
                     "if one runs in TUN or system-proxy mode it can capture the ssh connection: " +
                         exclusion_fix(c)));
        }
        for (const auto& [pid, app] : apps) {
            std::string ports;
            for (const auto port : app.second) {
                ports += fmt::format("{}127.0.0.1:{}", ports.empty() ? ", listening on " : " and ", port);
            }
            out.insert(
                out.begin(),
                warn(fmt::format("{} (pid {}) is running{}: a proxy app in TUN or system-proxy mode captures "
                                 "the ssh connection to the team server",
                                 app.first, pid, ports),
                     exclusion_fix(c)));
        }
        if (out.empty()) {
            out.push_back(ok("no proxy app running, none of their usual ports in use"));
        }
        return out;
    }
};
/// "key : value" lines of `scutil --proxy` as a map.
std::map<std::string, std::string> scutil_fields(const std::string& text) {
    std::map<std::string, std::string> fields;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(" : ");
        if (colon == std::string::npos) {
            continue;
        }
        auto key = line.substr(0, colon);
        key.erase(0, key.find_first_not_of(" \t"));
        fields[key] = first_line(line.substr(colon + 3));
    }
    return fields;
}

class SystemProxyCheck final : public Check {
public:
    std::string_view name() const override { return "system proxy"; }
    std::vector<Finding> run(Context& c) const override {
        const std::string effect =
            "apps that read the system proxy instead of HTTPS_PROXY go there, not through "
            "phantom (ssh and phantom's bridge do not use it)";
        std::vector<std::string> set;
        if (c.probes.is_macos()) {
            const auto r = c.probes.run({"scutil", "--proxy"}, std::nullopt, 3s);
            const auto f = scutil_fields(r.out);
            for (const char* kind : {"HTTP", "HTTPS", "SOCKS"}) {
                if (f.count(std::string(kind) + "Enable") != 0 && f.at(std::string(kind) + "Enable") == "1") {
                    const auto host = f.find(std::string(kind) + "Proxy");
                    const auto port = f.find(std::string(kind) + "Port");
                    set.push_back(fmt::format("{} {}:{}", kind, host == f.end() ? "?" : host->second,
                                              port == f.end() ? "?" : port->second));
                }
            }
            if (f.count("ProxyAutoConfigEnable") != 0 && f.at("ProxyAutoConfigEnable") == "1") {
                set.push_back("PAC " + (f.count("ProxyAutoConfigURLString") != 0
                                            ? f.at("ProxyAutoConfigURLString")
                                            : std::string("?")));
            }
            if (set.empty()) {
                return {ok("macOS system proxy off")};
            }
            return {warn(fmt::format("macOS system proxy on ({}): {}", fmt::join(set, ", "), effect),
                         "if you did not mean to send those apps elsewhere, turn it off in System Settings > "
                         "Network > Proxies (or in the app that set it)")};
        }
        if (c.probes.find_program("gsettings")) {
            const auto r =
                c.probes.run({"gsettings", "get", "org.gnome.system.proxy", "mode"}, std::nullopt, 3s);
            const std::string mode = first_line(r.out);
            if (r.exit_code == 0 && (mode == "'manual'" || mode == "'auto'")) {
                return {warn(
                    fmt::format("GNOME proxy mode {}: {}", mode, effect),
                    "Settings > Network > Network Proxy: Disabled (gsettings set org.gnome.system.proxy mode "
                    "'none')")};
            }
        }
        const auto kde = sys::read_file(c.home / ".config" / "kioslaverc");
        if (kde &&
            (kde->find("ProxyType=1") != std::string::npos || kde->find("ProxyType=2") != std::string::npos ||
             kde->find("ProxyType=3") != std::string::npos)) {
            return {warn(fmt::format("KDE proxy settings are on (~/.config/kioslaverc): {}", effect),
                         "System Settings > Network > Proxy: No proxy")};
        }
        return {ok("no desktop proxy setting (GNOME, KDE)")};
    }
};

bool in_fake_ip_range(const std::string& address) {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(address, ec);
    if (ec || !a.is_v4()) {
        return false;
    }
    return (a.to_v4().to_uint() & 0xFFFE0000U) == 0xC6120000U; // 198.18.0.0/15 (RFC 2544)
}

class FakeIpCheck final : public Check {
public:
    std::string_view name() const override { return "fake ip"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        const std::string& host = c.config->server.host;
        boost::system::error_code ec;
        boost::asio::ip::make_address(host, ec);
        if (!ec) {
            return {ok(fmt::format("the server is an address ({}): no name to fake", host))};
        }
        const auto addresses = c.probes.resolve(host);
        if (addresses.empty()) {
            return {skipped(fmt::format("not checked: {} does not resolve here (see server)", host))};
        }
        for (const auto& a : addresses) {
            if (in_fake_ip_range(a)) {
                return {fail(
                    fmt::format("{} resolves to {}, a fake IP of a TUN-mode proxy (Clash/mihomo/Surge "
                                "fake-ip): the ssh connection to the team server goes through that proxy",
                                host, a),
                    fmt::format("add {} to the proxy's fake-ip-filter with a DIRECT rule, or set [server] "
                                "host to the server's real address in ~/.phantom/config",
                                host))};
            }
        }
        return {ok(fmt::format("{} resolves to {} (no fake IP)", host, fmt::join(addresses, ", ")))};
    }
};

constexpr auto k_server_timeout = 2500ms;

class ServerCheck final : public Check {
public:
    std::string_view name() const override { return "server"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto& s = c.config->server;
        const auto r = c.probes.connect(s.host, s.port, k_server_timeout);
        const std::string at =
            r.address.empty() || r.address == s.host ? "" : fmt::format(" ({})", r.address);
        switch (r.result) {
        case ConnectOutcome::Result::ok:
            return {ok(
                fmt::format("{}:{}{} accepts connections ({} ms)", s.host, s.port, at, r.elapsed.count()))};
        case ConnectOutcome::Result::dns_failure:
            return {fail(
                fmt::format("{} does not resolve: {}", s.host, r.detail),
                fmt::format("check [server] host in ~/.phantom/config and your network or DNS (`host {}`)",
                            s.host))};
        case ConnectOutcome::Result::refused:
            return {
                fail(fmt::format("{}:{}{} refused the connection: no SSH server listens there", s.host,
                                 s.port, at),
                     "ask your admin whether the server runs (phantom-admin check); check [server] port")};
        case ConnectOutcome::Result::timeout:
            return {fail(
                fmt::format("no answer from {}:{}{} within {} ms", s.host, s.port, at,
                            k_server_timeout.count()),
                fmt::format("the server is down or a firewall drops the connection; `nc -vz {} {}` tells",
                            s.host, s.port))};
        case ConnectOutcome::Result::other:
            break;
        }
        return {fail(fmt::format("cannot reach {}:{}{}: {}", s.host, s.port, at, r.detail),
                     "check your network connection")};
    }
};

/// The `-L`/`-D`/`-R` forwards the user's ~/.ssh/config adds for the server (ssh -G).
std::vector<std::string> forwards_from_ssh_config(Context& c, const std::string& ssh) {
    const auto& s = c.config->server;
    const auto r =
        c.probes.run({ssh, "-G", "-p", std::to_string(s.port), "-l", s.user, "--", s.host}, std::nullopt, 3s);
    std::vector<std::string> forwards;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        for (const char* key : {"localforward ", "dynamicforward ", "remoteforward "}) {
            if (line.rfind(key, 0) == 0) {
                forwards.push_back(line);
            }
        }
    }
    return forwards;
}

class SshLoginCheck final : public Check {
public:
    std::string_view name() const override { return "ssh login"; }
    std::vector<std::string_view> needs() const override { return {"server", "ssh key", "host key", "ssh"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto& cfg = *c.config;
        const std::string ssh = program_for(c.probes, "ssh", "PHANTOM_SSH");
        const tunnel::TunnelPaths paths{config::expand_home(cfg.auth.ssh_key, c.home),
                                        daemon::daemon_files(c.home).known_hosts};
        std::vector<std::string> argv = {ssh};
        // ConnectTimeout covers the TCP connect and the server's banner; 4 s in all leaves
        // the key exchange and login about six round trips of 150 ms.
        const auto args = tunnel::ssh_login_arguments(cfg, paths, 3);
        argv.insert(argv.end(), args.begin(), args.end());
        const auto start = std::chrono::steady_clock::now();
        const auto r = c.probes.run(argv, std::nullopt, 4s);
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        const std::string who = fmt::format("{}@{}", cfg.server.user, cfg.server.host);
        std::vector<Finding> out;
        if (!r.started) {
            out.push_back(fail(fmt::format("could not run {}", ssh), "see the \"ssh\" check above"));
        } else if (r.timed_out) {
            out.push_back(
                fail(fmt::format("ssh to {} did not finish within 4 s (the connection opens, the SSH "
                                 "handshake stalls)",
                                 who),
                     "something between you and the server intercepts SSH (a proxy app, a captive "
                     "portal); see the checks above, or try another network"));
        } else if (r.exit_code != 255) {
            // The forced command (nologin) answered: ssh itself succeeded.
            out.push_back(
                ok(fmt::format("{} accepted phantom's key, host key as pinned ({} ms)", who, ms.count())));
        } else if (auto d = tunnel::diagnose_ssh_output(r.err, cfg.server.host)) {
            out.push_back(fail(d->cause, d->hint));
        } else {
            out.push_back(fail(fmt::format("ssh to {} failed: {}", who, last_line(r.err)),
                               "run `phantom connect` and read ~/.phantom/log/ssh.log"));
        }
        for (const auto& forward : forwards_from_ssh_config(c, ssh)) {
            out.push_back(
                warn(fmt::format("your ~/.ssh/config adds \"{}\" for {}: ssh opens it in the tunnel too, and "
                                 "when that port is busy the tunnel stops (ExitOnForwardFailure)",
                                 forward, cfg.server.host),
                     fmt::format("move it under a Host block that does not match {}", cfg.server.host)));
        }
        return out;
    }
};
class TunnelCheck final : public Check {
public:
    std::string_view name() const override { return "tunnel"; }
    std::vector<std::string_view> needs() const override { return {"server", "ssh login", "password"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto files = daemon::daemon_files(c.home);
        c.daemon_running = c.probes.daemon_running(files);
        if (!c.daemon_running) {
            return {warn(
                "not connected: no phantom daemon runs, so the tunnel and the bridge were not checked",
                "`phantom connect` (any `phantom CMD` starts it too when auto_connect is on), then doctor "
                "again")};
        }
        c.state = daemon::read_state(files.state);
        if (!c.state) {
            return {warn("the daemon runs but has not published its state yet",
                         "run `phantom doctor` again in a few seconds")};
        }
        c.bridge = daemon::bridge_access(files);
        const auto& st = *c.state;
        if (!st.last_probe_ok.has_value()) {
            return {warn(fmt::format("the daemon is {} and has not probed the tunnel yet", st.phase),
                         "run `phantom doctor` again in a few seconds")};
        }
        if (!*st.last_probe_ok) {
            // The daemon's own probe failing is the finding; doctor's probe would repeat it.
            return {
                fail(fmt::format("the daemon is {}: {}", st.phase,
                                 st.last_error.empty() ? "its last probe failed" : st.last_error),
                     "`phantom status` shows more; `phantom disconnect && phantom connect` starts afresh")};
        }
        const auto now = static_cast<std::int64_t>(std::time(nullptr));
        std::vector<Finding> out;
        out.push_back(
            ok(fmt::format("{} ({} mode) via {} pid {}, up {}, last probe {} ago, {} reconnect{}", st.server,
                           st.mode, st.tunnel_program, st.tunnel_pid, age(now - st.started_at),
                           age(now - st.last_probe_at), st.reconnects, st.reconnects == 1 ? "" : "s")));
        std::optional<tunnel::ProbeCredentials> credentials;
        if (c.config->tunnel.mode == config::Mode::dante) {
            if (!c.password) {
                return out; // the password check said why there is none to probe with
            }
            credentials = tunnel::ProbeCredentials{c.config->auth.socks_user, *c.password};
        }
        const auto probe = c.probes.socks_probe(st.local_port, credentials, 3s);
        if (probe.ok()) {
            out.push_back(ok(fmt::format("SOCKS through the tunnel answers ({:.1f} ms){}",
                                         static_cast<double>(probe.latency.count()) / 1000.0,
                                         credentials ? ", member password accepted" : "")));
        } else if (probe.failure == tunnel::ProbeFailure::auth_rejected) {
            out.push_back(
                fail(fmt::format("the server refused the member password of {}", c.config->auth.socks_user),
                     "ask your admin for a new invite (phantom-admin user passwd), then `phantom init "
                     "--invite URI`"));
        } else {
            out.push_back(fail(fmt::format("SOCKS through the tunnel (127.0.0.1:{}): {}", st.local_port,
                                           tunnel::describe(probe.failure)),
                               "`phantom status` and ~/.phantom/log/ssh.log say more; `phantom disconnect && "
                               "phantom connect` starts afresh"));
        }
        return out;
    }
};
class BridgeCheck final : public Check {
public:
    std::string_view name() const override { return "bridge"; }
    std::vector<std::string_view> needs() const override { return {"tunnel"}; }
    std::vector<Finding> run(Context& c) const override {
        if (!c.daemon_running || !c.state) {
            return {skipped("not checked: not connected")};
        }
        const std::string restart = "`phantom disconnect && phantom connect` starts a new bridge";
        if (!c.bridge) {
            return {fail(
                "the daemon runs but publishes no bridge (no port in state.json or no private run/token)",
                restart)};
        }
        // The daemon's own check target: the bridge neither counts nor logs what happens to it.
        const auto port = c.bridge->port;
        const std::string target = fmt::format("{}:{}", tunnel::k_check_host, tunnel::k_check_port);
        const auto with = c.probes.exchange(port, connect_request(target, c.bridge->token), 5s);
        if (!with || with->empty()) {
            return {fail(fmt::format("the bridge at 127.0.0.1:{} does not answer", port), restart)};
        }
        const int with_status = http_status(*with);
        if (with_status == 0) {
            return {fail(fmt::format("127.0.0.1:{} does not answer like phantom's bridge (\"{}\")", port,
                                     first_line(*with)),
                         "another program may hold the port; " + restart)};
        }
        if (with_status == 407) {
            return {fail(fmt::format("the bridge at 127.0.0.1:{} refuses its own token", port), restart)};
        }
        const auto without = c.probes.exchange(port, connect_request(target, std::nullopt), 5s);
        const int without_status = without ? http_status(*without) : 0;
        if (without_status == 0) {
            return {
                fail(fmt::format("the bridge at 127.0.0.1:{} answers with the token, not without it", port),
                     restart)};
        }
        if (without_status != 407) {
            return {
                fail(fmt::format("the bridge at 127.0.0.1:{} answers {} without the token: other local users "
                                 "could use your tunnel",
                                 port, first_line(*without)),
                     restart + "; report this as a bug")};
        }
        return {ok(fmt::format("127.0.0.1:{} answers with the token (HTTP {}) and refuses without it (407)",
                               port, with_status))};
    }
};
class DnsLeakCheck final : public Check {
public:
    std::string_view name() const override { return "dns leak"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        std::vector<Finding> out;
        // What a child gets, with the running bridge or, when there is none, a stand-in one:
        // the variables are composed the same way.
        const session::Bridge bridge =
            c.bridge ? session::Bridge{c.bridge->port, c.bridge->token} : session::Bridge{1, "TOKEN"};
        const auto spec = session::environment_spec(*c.config, c.home, bridge);
        const auto child = session::build_child_environment(c.probes.environment(), spec);
        const std::string bridge_at = fmt::format("@127.0.0.1:{}", bridge.port);
        const bool composed = spec.http_proxy_url.rfind("http://phantom:", 0) == 0 &&
                              spec.http_proxy_url.find(bridge_at) != std::string::npos &&
                              spec.all_proxy_url.rfind("socks5h://phantom:", 0) == 0 &&
                              spec.all_proxy_url.find(bridge_at) != std::string::npos;
        if (!composed) {
            out.push_back(
                fail("phantom's own proxy variables do not point at the bridge", "report this as a bug"));
        }
        for (const char* name : k_not_replaced) {
            if (!is_set(child, name)) {
                continue;
            }
            const std::string value = child.at(name);
            const std::string text = fmt::format(
                "{}={} reaches every command run through phantom and sends {} around the bridge{}", name,
                masked(value), minor_protocol(name) ? "that protocol" : "it",
                resolves_locally(value) ? " (socks5://: names resolved on this machine)" : "");
            const std::string fix =
                fmt::format("unset {} in your shell profile: phantom does not replace it", name);
            out.push_back(minor_protocol(name) ? warn(text, fix) : fail(text, fix));
        }
        if (out.empty()) {
            out.push_back(
                ok("commands get only the bridge: http://…@127.0.0.1 and socks5h:// (names resolved on the "
                   "server)"));
        }
        return out;
    }
};
class RemoteDnsCheck final : public Check {
public:
    std::string_view name() const override { return "remote dns"; }
    std::vector<std::string_view> needs() const override { return {"bridge"}; }
    std::vector<Finding> run(Context& c) const override {
        if (!c.bridge) {
            return {skipped("not checked: not connected")};
        }
        // Not resolved here first: that lookup is the very leak phantom keeps off this machine.
        const std::string& target = c.options.dns_target;
        const auto reply = c.probes.exchange(c.bridge->port, connect_request(target, c.bridge->token), 8s);
        const int status = reply ? http_status(*reply) : 0;
        if (status == 200) {
            return {ok(fmt::format("{} reached through the bridge by name: resolved on the server", target))};
        }
        return {
            fail(fmt::format("{} not reached through the bridge: {}", target,
                             !reply || reply->empty() ? "no answer"
                                                      : first_line(*reply) + " " + reply_body(*reply)),
                 "the name must resolve on the server and the server must reach it; `phantom status` counts "
                 "the bridge's failures by cause")};
    }
};
class SandboxCheck final : public Check {
public:
    std::string_view name() const override { return "sandbox"; }
    std::vector<std::string_view> needs() const override { return {"config"}; }
    std::vector<Finding> run(Context& c) const override {
        const auto shadow = config::expand_home(c.config->sandbox.home, c.home);
        const std::string where = shown(shadow, c.home);
        auto st = sys::file_status(shadow);
        if (!st || !st->exists) {
            return {ok(fmt::format("{} not created yet: the first `phantom CMD` creates it", where))};
        }
        const std::string recreate =
            fmt::format("move {} away; the next `phantom CMD` creates it afresh", where);
        if (st->is_symlink) {
            return {
                fail(fmt::format("{} is a symlink: sessions would write where it points", where), recreate)};
        }
        if (!st->is_directory) {
            return {fail(fmt::format("{} is not a directory", where), recreate)};
        }
        if (st->owner != sys::current_uid()) {
            return {fail(fmt::format("{} belongs to uid {}, not to you", where, st->owner), recreate)};
        }
        std::vector<Finding> out;
        if (st->mode != 0700) {
            out.push_back(fail(
                fmt::format("{} has mode {:04o}: other users can read what sessions keep there (Claude's "
                            "login in .claude.json)",
                            where, st->mode),
                fmt::format("chmod 700 {}", where)));
        }
        for (const auto& name : c.config->sandbox.isolate) {
            auto entry = sys::file_status(shadow / name);
            if (entry && entry->is_symlink) {
                out.push_back(
                    fail(fmt::format("{}/{} is a link: sessions would share your real {}", where, name, name),
                         fmt::format("rm {}/{} (phantom gives the session its own)", where, name)));
            }
        }
        int links = 0;
        int dangling = 0;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(shadow, ec)) {
            if (!entry.is_symlink(ec)) {
                continue;
            }
            ++links;
            if (!std::filesystem::exists(entry.path(), ec)) {
                ++dangling;
            }
        }
        if (dangling > 0) {
            out.push_back(warn(fmt::format("{} of the {} links in {} point to files no longer in your home",
                                           dangling, links, where),
                               "run any `phantom CMD`: it removes them"));
        }
        if (out.empty()) {
            out.push_back(ok(fmt::format("{}: 0700, yours, {} links to your home, isolated: {}", where, links,
                                         fmt::join(c.config->sandbox.isolate, ", "))));
        }
        return out;
    }
};

class EgressCheck final : public Check {
public:
    std::string_view name() const override { return "egress"; }
    std::vector<std::string_view> needs() const override { return {"bridge"}; }
    std::vector<Finding> run(Context& c) const override {
        const std::string& url = *c.options.egress_url;
        if (!c.bridge) {
            return {skipped("not checked: not connected")};
        }
        if (!c.probes.find_program("curl")) {
            return {fail("curl is not installed: doctor fetches the egress URL with it",
                         install_hint(c.probes, "curl"))};
        }
        auto direct_env = c.probes.environment();
        for (const char* name : k_replaced) {
            direct_env.erase(name);
        }
        const auto spec =
            session::environment_spec(*c.config, c.home, session::Bridge{c.bridge->port, c.bridge->token});
        const auto through_env = session::build_child_environment(c.probes.environment(), spec);
        const std::vector<std::string> argv = {"curl", "-sS", "--max-time", "8", url};
        const auto direct = c.probes.run(argv, direct_env, 10s);
        const auto through = c.probes.run(argv, through_env, 10s);
        const std::string a = first_line(through.out);
        const std::string b = first_line(direct.out);
        if (through.exit_code != 0 || a.empty()) {
            return {fail(fmt::format("{} through phantom failed: {}", url, first_line(through.err)),
                         "check the URL; `phantom curl -v URL` shows the bridge's answer")};
        }
        if (direct.exit_code != 0 || b.empty()) {
            return {ok(fmt::format("through phantom {} sees {}; the direct request failed ({})", url, a,
                                   first_line(direct.err)))};
        }
        if (a == b) {
            return {fail(
                fmt::format("{} sees the same address through phantom and without it ({})", url, a),
                "your own traffic already leaves from there (a VPN or a TUN proxy routing everything?), or "
                "the server's egress is this network")};
        }
        return {ok(fmt::format("through phantom {}, directly {}", a, b))};
    }
};

} // namespace

std::unique_ptr<Check> config_check() {
    return std::make_unique<ConfigCheck>();
}
std::unique_ptr<Check> ssh_key_check() {
    return std::make_unique<SshKeyCheck>();
}
std::unique_ptr<Check> host_key_check() {
    return std::make_unique<HostKeyCheck>();
}
std::unique_ptr<Check> password_check() {
    return std::make_unique<PasswordCheck>();
}
std::unique_ptr<Check> ssh_tool_check() {
    return std::make_unique<SshToolCheck>();
}
std::unique_ptr<Check> autossh_check() {
    return std::make_unique<AutosshCheck>();
}
std::unique_ptr<Check> proxy_variables_check() {
    return std::make_unique<ProxyVariablesCheck>();
}
std::unique_ptr<Check> proxy_apps_check() {
    return std::make_unique<ProxyAppsCheck>();
}
std::unique_ptr<Check> system_proxy_check() {
    return std::make_unique<SystemProxyCheck>();
}
std::unique_ptr<Check> fake_ip_check() {
    return std::make_unique<FakeIpCheck>();
}
std::unique_ptr<Check> server_check() {
    return std::make_unique<ServerCheck>();
}
std::unique_ptr<Check> ssh_login_check() {
    return std::make_unique<SshLoginCheck>();
}
std::unique_ptr<Check> tunnel_check() {
    return std::make_unique<TunnelCheck>();
}
std::unique_ptr<Check> bridge_check() {
    return std::make_unique<BridgeCheck>();
}
std::unique_ptr<Check> dns_leak_check() {
    return std::make_unique<DnsLeakCheck>();
}
std::unique_ptr<Check> remote_dns_check() {
    return std::make_unique<RemoteDnsCheck>();
}
std::unique_ptr<Check> sandbox_check() {
    return std::make_unique<SandboxCheck>();
}
std::unique_ptr<Check> egress_check() {
    return std::make_unique<EgressCheck>();
}

Checks standard_checks(const Options& options) {
    Checks checks;
    for (auto* make :
         {config_check, ssh_key_check, host_key_check, password_check, ssh_tool_check, autossh_check,
          proxy_variables_check, proxy_apps_check, system_proxy_check, fake_ip_check, server_check,
          ssh_login_check, tunnel_check, bridge_check, dns_leak_check, remote_dns_check, sandbox_check}) {
        checks.push_back(make());
    }
    if (options.egress_url) {
        checks.push_back(egress_check());
    }
    return checks;
}

} // namespace phantom::doctor
