// SPDX-License-Identifier: MIT
// The argv and environment of the tunnel process: autossh -M 0, or plain ssh as a fallback.
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/tunnel/command.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace phantom::tunnel {
namespace {

// A path as the value of an ssh `-o` option. ssh percent-expands IdentityFile and
// UserKnownHostsFile (ssh_config(5) TOKENS), so '%' is doubled; it splits the value on
// blanks unless double-quoted; "${" would expand an environment variable. A quote or a
// backslash has no escape that every OpenSSH version reads the same way: refuse those.
std::string ssh_path_value(const std::filesystem::path& path, std::string_view what) {
    const std::string text = path.string();
    if (text.empty() || !path.is_absolute()) {
        throw Error(fmt::format("the {} path must be absolute", what),
                    "run `phantom init` again or fix the path in ~/.phantom/config");
    }
    const bool unsafe = std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f || c == '"' || c == '\\';
    });
    if (unsafe || text.find("${") != std::string::npos) {
        throw Error(fmt::format("the {} path contains characters ssh cannot take "
                                "(quotes, backslashes, control characters or \"${{\")",
                                what),
                    "move the file to a plain path and update ~/.phantom/config");
    }
    std::string value;
    value.reserve(text.size() + 2);
    for (const char c : text) {
        value += c;
        if (c == '%') {
            value += '%';
        }
    }
    if (value.find_first_of(" \t'#") != std::string::npos) {
        value = "\"" + value + "\"";
    }
    return value;
}

// ssh's forward syntax needs an IPv6 target in brackets (ssh(1) -L).
std::string forward_host(const std::string& host) {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]";
    }
    return host;
}

void check(const std::optional<std::string>& problem, std::string_view what) {
    if (problem) {
        throw Error(fmt::format("{}: {}", what, *problem),
                    "fix it in ~/.phantom/config or run `phantom init`");
    }
}

/// The options the tunnel and doctor's login check share: key, pinned host key, timeouts,
/// no sharing or forwarding of anything else, port and user; `tunnel` adds
/// ExitOnForwardFailure.
std::vector<std::string> common_options(const config::Config& config, const TunnelPaths& paths,
                                        int connect_timeout, bool tunnel) {
    // Config validation already enforces these; checked again here because the values go
    // into another program's argv (a host starting with '-' would be an ssh option).
    check(config::check_host(config.server.host), "server.host");
    check(config::check_user_name(config.server.user), "server.user");
    if (config.server.port == 0) {
        throw Error("the server port is 0", "fix the ports in ~/.phantom/config");
    }
    std::vector<std::string> options = {
        "-T",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityFile=" + ssh_path_value(paths.ssh_key, "SSH key"),
        "-o",
        "UserKnownHostsFile=" + ssh_path_value(paths.known_hosts, "known_hosts"),
        // The pinned key in phantom's own file is the only trust anchor: a stale or
        // conflicting entry in /etc/ssh/ssh_known_hosts must not be consulted.
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        // ssh never rewrites the pinned file behind phantom's back.
        "-o",
        "UpdateHostKeys=no",
    };
    if (tunnel) {
        options.insert(options.end(), {"-o", "ExitOnForwardFailure=yes"});
    }
    options.insert(options.end(),
                   {
                       "-o",
                       fmt::format("ServerAliveInterval={}", config.tunnel.server_alive_interval),
                       "-o",
                       fmt::format("ServerAliveCountMax={}", config.tunnel.server_alive_count_max),
                       "-o",
                       fmt::format("ConnectTimeout={}", connect_timeout),
                       // A user's ControlMaster auto would let this ssh ride on (or become) a shared master
                       // whose options are not ours, and whose death would take the tunnel with it.
                       "-o",
                       "ControlMaster=no",
                       "-o",
                       "ControlPath=none",
                       "-o",
                       "PermitLocalCommand=no",
                       "-o",
                       "ForwardAgent=no",
                       "-o",
                       "ForwardX11=no",
                       "-p",
                       std::to_string(config.server.port),
                       "-l",
                       config.server.user,
                   });
    return options;
}

} // namespace

std::vector<std::string> ssh_arguments(const config::Config& config, const TunnelPaths& paths,
                                       std::uint16_t local_port) {
    if (config.tunnel.mode == config::Mode::dante) {
        check(config::check_host(config.tunnel.dante_host), "tunnel.dante_host");
    }
    if (local_port == 0 || (config.tunnel.mode == config::Mode::dante && config.tunnel.dante_port == 0)) {
        throw Error("a tunnel port is 0", "fix the ports in ~/.phantom/config");
    }
    std::vector<std::string> args = {"-N"};
    const auto common = common_options(config, paths, config.tunnel.connect_timeout, true);
    args.insert(args.end(), common.begin(), common.end());
    // Not ClearAllForwardings=yes: it also drops forwards given on the command line (ours).
    // A LocalForward/DynamicForward in the user's ~/.ssh/config for the same host is
    // therefore added too, and with ExitOnForwardFailure a busy port there stops the tunnel;
    // `phantom doctor` is the place to point that out.
    if (config.tunnel.mode == config::Mode::dante) {
        args.emplace_back("-L");
        args.push_back(fmt::format("127.0.0.1:{}:{}:{}", local_port, forward_host(config.tunnel.dante_host),
                                   config.tunnel.dante_port));
    } else {
        args.emplace_back("-D");
        args.push_back(fmt::format("127.0.0.1:{}", local_port));
    }
    args.emplace_back("--");
    args.push_back(config.server.host);
    return args;
}

std::vector<std::string> autossh_arguments(const config::Config& config, const TunnelPaths& paths,
                                           std::uint16_t local_port) {
    std::vector<std::string> args = {"-M", "0"};
    std::vector<std::string> ssh = ssh_arguments(config, paths, local_port);
    // autossh 1.4g runs getopt over its whole argv: the first "--" ends *its* options and is
    // dropped, everything after it reaches ssh unchanged. Doubling it keeps ssh's "--".
    const auto separator = std::find(ssh.begin(), ssh.end(), "--");
    ssh.insert(separator, "--");
    args.insert(args.end(), ssh.begin(), ssh.end());
    return args;
}

std::map<std::string, std::string> autossh_environment() {
    // autossh(1): with the default gate time (30 s) a first ssh that exits early makes
    // autossh give up; 0 keeps retrying, which is what a laptop waking up offline needs.
    // AUTOSSH_POLL also caps autossh's back-off between fast failures (grace_time() in
    // autossh.c: n^2/3 * poll/100 seconds, at most poll). With the default 600 s, a link
    // down for a few minutes left autossh asleep 30 s or more after it came back (measured
    // by scripts/bench.sh); 5 s keeps recovery inside the 10 s target. With -M 0 poll has
    // no other use.
    return {{"AUTOSSH_GATETIME", "0"}, {"AUTOSSH_POLL", "5"}};
}

std::vector<std::string> ssh_login_arguments(const config::Config& config, const TunnelPaths& paths,
                                             int connect_timeout) {
    auto args = common_options(config, paths, connect_timeout, false);
    // Only the login is tried: forwards from the user's ~/.ssh/config would bind ports.
    args.insert(args.end(), {"-o", "ClearAllForwardings=yes", "--", config.server.host});
    return args;
}

} // namespace phantom::tunnel
