// SPDX-License-Identifier: MIT
// Config parsing, every error message of issue 2, rendering round trip, permissions.
#include <sys/stat.h>

#include <phantom/config/config.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <string>

#include "catch.hpp"
#include "temp_dir.hpp"

using phantom::Fatal;
using namespace phantom::config;

namespace {

constexpr const char* k_minimal = "[server]\nhost = \"vps.example.com\"\n[auth]\nsocks_user = \"alice\"\n";

/// The Fatal that parsing `text` throws (fails the test when nothing is thrown).
Fatal parse_error(const std::string& text) {
    try {
        parse_config(text, "cfg");
    } catch (const Fatal& e) {
        return e;
    }
    FAIL("expected a config error for:\n" << text);
    return Fatal(0, "");
}

std::string message_of(const std::string& text) {
    return parse_error(text).what();
}

} // namespace

TEST_CASE("minimal config gets every default", "[config]") {
    const Config c = parse_config(k_minimal, "cfg");
    CHECK(c.server.host == "vps.example.com");
    CHECK(c.server.port == 22);
    CHECK(c.server.user == "phantom");
    CHECK(c.auth.socks_user == "alice");
    CHECK(c.auth.ssh_key == "~/.ssh/phantom_ed25519");
    CHECK(c.tunnel.mode == Mode::dante);
    CHECK(c.tunnel.dante_port == 1080);
    CHECK(c.tunnel.server_alive_interval * c.tunnel.server_alive_count_max <= 15);
    CHECK(c.sandbox.home == "~/.phantom_env");
    CHECK(c.sandbox.isolate == std::vector<std::string>{".claude", ".claude.json"});
    CHECK(c.options.auto_connect);
}

TEST_CASE("every key is read", "[config]") {
    const Config c = parse_config(R"([server]
host = "10.0.0.5"
port = 2222
user = "tunnel"
[auth]
socks_user = "bob"
password = "s3cret"
ssh_key = "/keys/id"
[tunnel]
mode = "direct"
dante_host = "127.0.0.1"
dante_port = 1081
local_port = 20000
bridge_port = 20001
server_alive_interval = 4
server_alive_count_max = 2
connect_timeout = 7
[sandbox]
home = "/tmp/shadow"
isolate = [".claude", ".codex"]
[options]
auto_connect = false
no_proxy = ["corp.internal", "10.0.0.0/8"]
)",
                                  "cfg");
    CHECK(c.server.port == 2222);
    CHECK(c.server.user == "tunnel");
    CHECK(c.auth.password == "s3cret");
    CHECK(c.tunnel.mode == Mode::direct);
    CHECK(c.tunnel.local_port == 20000);
    CHECK(c.tunnel.bridge_port == 20001);
    CHECK(c.tunnel.connect_timeout == 7);
    CHECK(c.sandbox.isolate == std::vector<std::string>{".claude", ".codex"});
    CHECK_FALSE(c.options.auto_connect);
    CHECK(c.options.no_proxy.size() == 2);
}

TEST_CASE("unknown key names file, line, column and suggests the right one", "[config]") {
    const Fatal e = parse_error("[server]\nhost = \"h\"\nportt = 22\n[auth]\nsocks_user = \"a\"\n");
    CHECK(std::string(e.what()) == "cfg:3:1: unknown key \"portt\" in [server]");
    CHECK(e.hint() == "did you mean \"port\"?");
    CHECK(e.code() == phantom::exit_code::k_config);
}

TEST_CASE("unknown section suggests the right one", "[config]") {
    const Fatal e = parse_error("[sever]\nhost = \"h\"\n");
    CHECK(std::string(e.what()).find("cfg:1:") == 0);
    CHECK(std::string(e.what()).find("unknown section \"sever\"") != std::string::npos);
    CHECK(e.hint() == "did you mean [server]?");
}

TEST_CASE("wrong type shows the expected form", "[config]") {
    const Fatal e = parse_error("[server]\nhost = \"h\"\nport = \"22\"\n[auth]\nsocks_user = \"a\"\n");
    CHECK(std::string(e.what()) == "cfg:3:8: [server] port must be an integer, not string");
    CHECK(e.hint().find("port = ") != std::string::npos);

    const Fatal list = parse_error(std::string(k_minimal) + "[sandbox]\nisolate = \".claude\"\n");
    CHECK(std::string(list.what()).find("must be a list of quoted strings") != std::string::npos);

    const Fatal boolean = parse_error(std::string(k_minimal) + "[options]\nauto_connect = \"yes\"\n");
    CHECK(std::string(boolean.what()).find("true or false") != std::string::npos);
}

TEST_CASE("ports out of range are refused with the range", "[config]") {
    for (const char* bad : {"0", "65536", "-1", "100000"}) {
        const Fatal e = parse_error(std::string("[server]\nhost = \"h\"\nport = ") + bad +
                                    "\n[auth]\nsocks_user=\"a\"\n");
        CHECK(std::string(e.what()).find("out of range for a TCP port") != std::string::npos);
        CHECK(e.hint() == "use a value from 1 to 65535");
    }
    // bridge_port 0 means "pick a free port".
    CHECK(parse_config(std::string(k_minimal) + "[tunnel]\nbridge_port = 0\n", "cfg").tunnel.bridge_port ==
          0);
}

TEST_CASE("missing required keys are named", "[config]") {
    const Fatal no_host = parse_error("[server]\nport = 22\n[auth]\nsocks_user = \"a\"\n");
    CHECK(std::string(no_host.what()) == "cfg:1:1: missing required key \"host\" in [server]");
    CHECK(no_host.hint().find("phantom init") != std::string::npos);

    const Fatal no_user = parse_error("[server]\nhost = \"h\"\n");
    CHECK(std::string(no_user.what()).find("missing required key \"socks_user\" in [auth]") !=
          std::string::npos);

    // direct mode needs no member name.
    CHECK_NOTHROW(parse_config("[server]\nhost = \"h\"\n[tunnel]\nmode = \"direct\"\n", "cfg"));
}

TEST_CASE("old INI style unquoted strings get the quoted form", "[config]") {
    const Fatal e = parse_error("[server]\nhost=1.2.3.4\n");
    CHECK(std::string(e.what()).find("cfg:2:") == 0);
    CHECK(std::string(e.what()).find("the value of \"host\" must be a quoted string") != std::string::npos);
    CHECK(e.hint() == "write it as: host = \"1.2.3.4\"");

    const Fatal word = parse_error("[server]\nhost = vps.example.com\n");
    CHECK(word.hint() == "write it as: host = \"vps.example.com\"");

    // A key outside any section (INI habit) is pointed at its section.
    const Fatal top = parse_error("host = \"vps\"\n");
    CHECK(std::string(top.what()).find("outside of any section") != std::string::npos);
    CHECK(top.hint() == "move it under a [server] header");
}

TEST_CASE("values are validated", "[config]") {
    CHECK(message_of("[server]\nhost = \"-oProxyCommand=x\"\n[auth]\nsocks_user=\"a\"\n")
              .find("[server] host") != std::string::npos);
    CHECK(message_of(std::string(k_minimal) + "[tunnel]\nmode = \"socks\"\n").find("unknown mode") !=
          std::string::npos);
    CHECK(message_of(std::string(k_minimal) + "[sandbox]\nisolate = [\"../x\"]\n").find("plain file name") !=
          std::string::npos);
    CHECK(message_of(std::string(k_minimal) + "[options]\nno_proxy = [\"a, b\"]\n").find("without commas") !=
          std::string::npos);
    CHECK(message_of(std::string(k_minimal) + "[sandbox]\nhome = \"relative/dir\"\n").find("absolute") !=
          std::string::npos);
}

TEST_CASE("render and parse round trip", "[config]") {
    Config c;
    c.server.host = "vps.example.com";
    c.server.port = 2222;
    c.server.host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd1lQ6Wc1Ld5FWB4n3yBv0Ug8H9eXZQk6Gr8Wd0C0xq";
    c.auth.socks_user = "alice";
    c.auth.password = "quote\"back\\slash'新";
    c.tunnel.mode = Mode::direct;
    c.sandbox.isolate = {".claude", ".claude.json", ".codex"};
    c.options.no_proxy = {"corp.internal"};
    c.options.auto_connect = false;
    const Config back = parse_config(render_config(c), "rendered");
    CHECK(back.server.host == c.server.host);
    CHECK(back.server.port == 2222);
    CHECK(back.server.host_key == c.server.host_key);
    CHECK(back.auth.password == c.auth.password);
    CHECK(back.tunnel.mode == Mode::direct);
    CHECK(back.sandbox.isolate == c.sandbox.isolate);
    CHECK(back.options.no_proxy == c.options.no_proxy);
    CHECK_FALSE(back.options.auto_connect);
}

TEST_CASE("save is 0600 in a 0700 directory, load refuses open permissions", "[config]") {
    phantom::test::TempDir tmp;
    const auto path = tmp.path() / "state" / "config";
    Config c;
    c.server.host = "h";
    c.auth.socks_user = "a";
    save_config(c, path);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(path.parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK(load_config(path).server.host == "h");

    ::chmod(path.c_str(), 0644);
    try {
        load_config(path);
        FAIL("a group/world-readable config must be refused");
    } catch (const Fatal& e) {
        CHECK(std::string(e.what()).find("permissions 0644") != std::string::npos);
        CHECK(e.hint() == "chmod 600 '" + path.string() + "'");
    }
}

TEST_CASE("missing and unreadable files", "[config]") {
    phantom::test::TempDir tmp;
    CHECK_FALSE(load_config_if_exists(tmp.path() / "nope").has_value());
    try {
        load_config(tmp.path() / "nope");
        FAIL("missing config must throw");
    } catch (const Fatal& e) {
        CHECK(e.code() == phantom::exit_code::k_config);
        CHECK(e.hint().find("phantom init") != std::string::npos);
    }
    // A directory where the file should be cannot be read.
    std::filesystem::create_directory(tmp.path() / "dir");
    ::chmod((tmp.path() / "dir").c_str(), 0700);
    CHECK_THROWS_AS(load_config(tmp.path() / "dir"), Fatal);
}

TEST_CASE("paths", "[config]") {
    CHECK(expand_home("~/.ssh/k", "/home/u") == "/home/u/.ssh/k");
    CHECK(expand_home("~", "/home/u") == "/home/u");
    CHECK(expand_home("/abs", "/home/u") == "/abs");
    CHECK(state_dir("/home/u") == "/home/u/.phantom");
}

TEST_CASE("non-ASCII outside strings is refused before toml++ sees it", "[config]") {
    // "\xC3\x96" (Ö) made toml++ 3.3.0 reach __builtin_unreachable (found by the fuzzer).
    const Fatal e = parse_error("[server]\nhost = \"h\"\n\xC3\x96 = 1\n");
    CHECK(std::string(e.what()) == "cfg:3:1: non-ASCII character outside a quoted string");
    CHECK_FALSE(e.hint().empty());
    CHECK(std::string(parse_error("\xC3\x96").what()).find("cfg:1:1:") == 0);
    // Inside strings and comments it is fine, in every string form.
    const Config c =
        parse_config("# K\xC3\xB6nig\n[server] # \xC3\x96\nhost = \"h\"\n[auth]\nsocks_user = \"a\"\n"
                     "password = \"p\xC3\xA4ss \\\" \xC3\x96\"\n"
                     "[sandbox]\nisolate = ['\xC3\x96', \"\"\"\n\xC3\x96\"\"\", '''\xC3\x96''']\n",
                     "cfg");
    CHECK(c.auth.password == "p\xC3\xA4ss \" \xC3\x96");
    CHECK(c.sandbox.isolate.size() == 3);
}

TEST_CASE("a direct-mode config without a member name round-trips", "[config]") {
    Config c;
    c.server.host = "vps.example.com";
    c.tunnel.mode = Mode::direct;
    const Config back = parse_config(render_config(c), "config");
    CHECK(back.tunnel.mode == Mode::direct);
    CHECK(back.auth.socks_user.empty());
}
