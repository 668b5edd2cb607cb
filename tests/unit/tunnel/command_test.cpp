// SPDX-License-Identifier: MIT
// Tests of the tunnel argv: hardened ssh options, both modes, autossh, no secrets.
#include <phantom/error.hpp>
#include <phantom/tunnel/command.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "catch.hpp"

using phantom::config::Config;
using phantom::config::Mode;
using phantom::tunnel::autossh_arguments;
using phantom::tunnel::autossh_environment;
using phantom::tunnel::ssh_arguments;
using phantom::tunnel::ssh_login_arguments;
using phantom::tunnel::TunnelPaths;

namespace {

Config make_config(Mode mode) {
    Config config;
    config.server.host = "vps.example.com";
    config.server.port = 2222;
    config.server.user = "phantom";
    config.auth.socks_user = "alice";
    config.auth.password = "s3cret-Pa55word";
    config.tunnel.mode = mode;
    config.tunnel.dante_host = "dante";
    config.tunnel.dante_port = 1080;
    config.tunnel.server_alive_interval = 5;
    config.tunnel.server_alive_count_max = 3;
    config.tunnel.connect_timeout = 10;
    return config;
}

const TunnelPaths k_paths{"/home/alice/.ssh/phantom_ed25519", "/home/alice/.phantom/known_hosts"};

std::vector<std::string> common_options() {
    return {"-N", "-T",
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityFile=/home/alice/.ssh/phantom_ed25519",
            "-o", "UserKnownHostsFile=/home/alice/.phantom/known_hosts",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UpdateHostKeys=no",
            "-o", "ExitOnForwardFailure=yes",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            "-o", "ConnectTimeout=10",
            "-o", "ControlMaster=no",
            "-o", "ControlPath=none",
            "-o", "PermitLocalCommand=no",
            "-o", "ForwardAgent=no",
            "-o", "ForwardX11=no",
            "-p", "2222",
            "-l", "phantom"};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

bool mentions(const std::vector<std::string>& args, const std::string& needle) {
    return std::any_of(args.begin(), args.end(),
                       [&](const std::string& arg) { return arg.find(needle) != std::string::npos; });
}

} // namespace

TEST_CASE("dante mode: exact ssh argv with a local forward to Dante", "[command]") {
    const auto args = ssh_arguments(make_config(Mode::dante), k_paths, 17080);
    CHECK(args == concat(common_options(), {"-L", "127.0.0.1:17080:dante:1080", "--", "vps.example.com"}));
}

TEST_CASE("direct mode: exact ssh argv with a dynamic forward", "[command]") {
    const auto args = ssh_arguments(make_config(Mode::direct), k_paths, 17081);
    CHECK(args == concat(common_options(), {"-D", "127.0.0.1:17081", "--", "vps.example.com"}));
}

TEST_CASE("doctor's login: the same options without -N, forwards or ExitOnForwardFailure", "[command]") {
    const auto args = ssh_login_arguments(make_config(Mode::dante), k_paths, 3);
    auto expected = common_options();
    expected.erase(expected.begin()); // -N
    const auto exit_on = std::find(expected.begin(), expected.end(), "ExitOnForwardFailure=yes");
    expected.erase(exit_on - 1, exit_on + 1);
    std::replace(expected.begin(), expected.end(), std::string("ConnectTimeout=10"),
                 std::string("ConnectTimeout=3"));
    CHECK(args == concat(expected, {"-o", "ClearAllForwardings=yes", "--", "vps.example.com"}));
}

TEST_CASE("autossh: monitor off, and a second -- that autossh's getopt consumes", "[command]") {
    const auto args = autossh_arguments(make_config(Mode::dante), k_paths, 17080);
    const auto expected = concat(concat({"-M", "0"}, common_options()),
                                 {"-L", "127.0.0.1:17080:dante:1080", "--", "--", "vps.example.com"});
    CHECK(args == expected);

    const auto direct = autossh_arguments(make_config(Mode::direct), k_paths, 17080);
    CHECK(direct.front() == "-M");
    CHECK(direct[1] == "0");
    CHECK(std::count(direct.begin(), direct.end(), "--") == 2);
    CHECK(direct.back() == "vps.example.com");
}

TEST_CASE("the host is the last argument, right after --", "[command]") {
    for (const Mode mode : {Mode::dante, Mode::direct}) {
        const auto args = ssh_arguments(make_config(mode), k_paths, 17080);
        REQUIRE(args.size() >= 2);
        CHECK(args[args.size() - 2] == "--");
        CHECK(args.back() == "vps.example.com");
        CHECK(std::count(args.begin(), args.end(), "--") == 1);
    }
}

TEST_CASE("no password and no socks user anywhere in argv", "[command]") {
    for (const Mode mode : {Mode::dante, Mode::direct}) {
        const Config config = make_config(mode);
        for (const auto& args :
             {ssh_arguments(config, k_paths, 17080), autossh_arguments(config, k_paths, 17080)}) {
            CHECK_FALSE(mentions(args, config.auth.password));
            CHECK_FALSE(mentions(args, "alice@"));
        }
    }
    for (const auto& [name, value] : autossh_environment()) {
        CHECK(value.find("s3cret") == std::string::npos);
    }
}

TEST_CASE("autossh environment turns the gate time off", "[command]") {
    const auto env = autossh_environment();
    REQUIRE(env.count("AUTOSSH_GATETIME") == 1);
    CHECK(env.at("AUTOSSH_GATETIME") == "0");
    REQUIRE(env.count("AUTOSSH_POLL") == 1);
    CHECK(env.at("AUTOSSH_POLL") == "5");
}

TEST_CASE("config values reach ssh: ports, keepalives, IPv6 Dante target", "[command]") {
    Config config = make_config(Mode::dante);
    config.server.port = 22;
    config.server.user = "tunnel";
    config.tunnel.dante_host = "fd00::10";
    config.tunnel.dante_port = 1081;
    config.tunnel.server_alive_interval = 7;
    config.tunnel.server_alive_count_max = 2;
    config.tunnel.connect_timeout = 4;
    const auto args = ssh_arguments(config, k_paths, 20000);
    CHECK(mentions(args, "ServerAliveInterval=7"));
    CHECK(mentions(args, "ServerAliveCountMax=2"));
    CHECK(mentions(args, "ConnectTimeout=4"));
    const auto port = std::find(args.begin(), args.end(), "-p");
    REQUIRE(port != args.end());
    CHECK(*(port + 1) == "22");
    const auto user = std::find(args.begin(), args.end(), "-l");
    REQUIRE(user != args.end());
    CHECK(*(user + 1) == "tunnel");
    const auto forward = std::find(args.begin(), args.end(), "-L");
    REQUIRE(forward != args.end());
    CHECK(*(forward + 1) == "127.0.0.1:20000:[fd00::10]:1081");
}

TEST_CASE("paths are escaped for ssh's percent expansion and word splitting", "[command]") {
    const TunnelPaths odd{"/home/al ice/.ssh/key%1", "/home/al ice/.phantom/known_hosts"};
    const auto args = ssh_arguments(make_config(Mode::dante), odd, 17080);
    CHECK(std::find(args.begin(), args.end(), "IdentityFile=\"/home/al ice/.ssh/key%%1\"") != args.end());
    CHECK(std::find(args.begin(), args.end(), "UserKnownHostsFile=\"/home/al ice/.phantom/known_hosts\"") !=
          args.end());
}

TEST_CASE("values that could smuggle options or break quoting are refused", "[command]") {
    Config hostile = make_config(Mode::dante);
    hostile.server.host = "-oProxyCommand=touch /tmp/pwned";
    CHECK_THROWS_AS(ssh_arguments(hostile, k_paths, 17080), phantom::Error);
    CHECK_THROWS_AS(autossh_arguments(hostile, k_paths, 17080), phantom::Error);

    Config bad_dante = make_config(Mode::dante);
    bad_dante.tunnel.dante_host = "dante:1080:evil";
    CHECK_THROWS_AS(ssh_arguments(bad_dante, k_paths, 17080), phantom::Error);

    Config bad_user = make_config(Mode::dante);
    bad_user.server.user = "-oops";
    CHECK_THROWS_AS(ssh_arguments(bad_user, k_paths, 17080), phantom::Error);

    CHECK_THROWS_AS(ssh_arguments(make_config(Mode::dante), k_paths, 0), phantom::Error);
    CHECK_THROWS_AS(
        ssh_arguments(make_config(Mode::dante), TunnelPaths{"relative/key", k_paths.known_hosts}, 17080),
        phantom::Error);
    CHECK_THROWS_AS(ssh_arguments(make_config(Mode::dante),
                                  TunnelPaths{k_paths.ssh_key, "/home/a\"b/known_hosts"}, 17080),
                    phantom::Error);
    CHECK_THROWS_AS(
        ssh_arguments(make_config(Mode::dante), TunnelPaths{"/home/${HOME}/key", k_paths.known_hosts}, 17080),
        phantom::Error);
}
