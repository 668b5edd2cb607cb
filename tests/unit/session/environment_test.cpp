// SPDX-License-Identifier: MIT
// The child's environment: what phantom sets, what it keeps, how `phantom env` quotes it.
#include <phantom/session/environment.hpp>

#include <cstdlib>
#include <string>

#include "catch.hpp"

using namespace phantom::session;

namespace {

EnvironmentSpec spec() {
    EnvironmentSpec s;
    s.shadow_home = "/home/u/.phantom_env";
    s.http_proxy_url = "socks5h://127.0.0.1:17080";
    s.all_proxy_url = "socks5h://127.0.0.1:17080";
    s.no_proxy_extra = {"corp.internal"};
    return s;
}

/// Runs `script` with /bin/sh (or fish) and returns its stdout.
std::string run_shell(const std::string& shell, const std::string& script) {
    const std::string cmd = shell + " -c '" + script + "'";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
        out += buf;
    }
    ::pclose(pipe);
    return out;
}

} // namespace

TEST_CASE("proxy variables in both cases, NO_PROXY, HOME, marker", "[environment]") {
    phantom::sys::Environment parent = {{"PATH", "/usr/bin"},
                                        {"HOME", "/home/u"},
                                        {"HTTPS_PROXY", "socks5://evil:1"},
                                        {"LANG", "C.UTF-8"},
                                        {"GIT_AUTHOR_NAME", "Ann"}};
    const auto env = build_child_environment(parent, spec());
    for (const char* name : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}) {
        CHECK(env.at(name) == "socks5h://127.0.0.1:17080");
    }
    CHECK(env.at("ALL_PROXY") == "socks5h://127.0.0.1:17080");
    CHECK(env.at("all_proxy") == "socks5h://127.0.0.1:17080");
    CHECK(env.at("NO_PROXY") == "localhost,127.0.0.1,::1,corp.internal");
    CHECK(env.at("no_proxy") == env.at("NO_PROXY"));
    CHECK(env.at("HOME") == "/home/u/.phantom_env");
    CHECK(env.at(k_active_variable) == "1");
    CHECK(env.at("NODE_USE_ENV_PROXY") == "1");
    // Nothing else changes.
    CHECK(env.at("PATH") == "/usr/bin");
    CHECK(env.at("LANG") == "C.UTF-8");
    CHECK(env.at("GIT_AUTHOR_NAME") == "Ann");
    // HOME and HTTPS_PROXY were already set: 11 variables, 9 of them new.
    CHECK(env.size() == parent.size() + 9);
}

TEST_CASE("export lines survive hostile values in sh and fish", "[environment]") {
    const std::vector<std::pair<std::string, std::string>> vars = {{"A", "it's $HOME `id` \"q\" \\n"},
                                                                   {"B", "plain"}};
    const std::string sh = render_exports(vars, ShellSyntax::sh);
    CHECK(sh.find("export B='plain';") != std::string::npos);
    // Evaluate the lines in a real shell and read the value back.
    std::string script = sh + "printf %s \"$A\"";
    std::string escaped;
    for (char c : script) {
        escaped += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    CHECK(run_shell("/bin/sh", escaped) == vars[0].second);

    const std::string fish = render_exports(vars, ShellSyntax::fish);
    CHECK(fish.find("set -gx B 'plain';") != std::string::npos);
    CHECK(fish.find("set -gx A 'it\\'s $HOME `id` \"q\" \\\\n';") != std::string::npos);
}
