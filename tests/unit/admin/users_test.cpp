// SPDX-License-Identifier: MIT
// Members: users.json round trip and malformed files, password hashing, rates, server.toml.
#include <phantom/admin/server_config.hpp>
#include <phantom/admin/users.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <set>

#include "catch.hpp"
#include "temp_dir.hpp"

using namespace phantom::admin;

TEST_CASE("users.json round trip keeps every field; the file is 0600", "[users]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "users.json";
    CHECK(read_members(file).empty()); // none yet
    Member a;
    a.name = "alice";
    a.password_hash = hash_password("correct horse");
    a.ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAb2vX3wpVmxybxSFf0Dst3EaxBkOX9qVmFprLGRssNg a@b";
    a.max_sessions = 7;
    a.rate = Rate{3, 9};
    a.created_at = 1'900'000'000;
    Member b;
    b.name = "bob.smith";
    b.password_hash = "$6$x$y";
    b.enabled = false;
    write_members(file, {a, b});
    CHECK(phantom::sys::file_status(file).value().mode == 0600);
    const auto back = read_members(file);
    REQUIRE(back.size() == 2);
    CHECK(back[0].name == "alice");
    CHECK(back[0].password_hash == a.password_hash);
    CHECK(back[0].ssh_key == a.ssh_key);
    CHECK(back[0].max_sessions == 7U);
    CHECK(back[0].rate == Rate{3, 9});
    CHECK(back[0].created_at == a.created_at);
    CHECK(back[0].enabled);
    CHECK_FALSE(back[1].enabled);
    CHECK_FALSE(back[1].max_sessions.has_value());
    CHECK_FALSE(back[1].rate.has_value());
}

TEST_CASE("malformed users files are refused, not half read", "[users]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "users.json";
    for (const char* text :
         {"", "[]", "{}", "{\"members\": {}}", "{\"members\": [1]}", "{\"members\": [{\"name\": \"a\"}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": 3}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": \"h\", \"enabled\": \"yes\"}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": \"h\", \"rate\": \"fast\"}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": \"h\", \"max_sessions\": 0}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": \"h\"}, "
          "{\"name\": \"a\", \"password_hash\": \"h\"}]}",
          // hand edits that would smuggle lines into the rendered files
          "{\"members\": [{\"name\": \"a\\nb\", \"password_hash\": \"h\"}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": \"h\\nb:x\"}]}",
          "{\"members\": [{\"name\": \"a\", \"password_hash\": \"h\", \"ssh_key\": \"ssh-ed25519 "
          "AAAA\\nssh-rsa B\"}]}"}) {
        INFO(text);
        REQUIRE(phantom::sys::write_file_atomic(file, text, 0600));
        CHECK_THROWS_AS(read_members(file), phantom::Fatal);
    }
}

TEST_CASE("passwords: preferred-method hashes that verify, never the password itself", "[users]") {
    const std::string hash = hash_password("s3cret");
    CHECK(hash.find("s3cret") == std::string::npos);
    CHECK(hash.front() == '$');
    CHECK(password_matches("s3cret", hash));
    CHECK_FALSE(password_matches("s3cres", hash));
    CHECK(hash_password("s3cret") != hash); // a fresh salt each time
    std::set<std::string> generated;
    for (int i = 0; i < 100; ++i) {
        const std::string p = generate_password();
        CHECK(p.size() == 24);
        generated.insert(p);
    }
    CHECK(generated.size() == 100);
}

TEST_CASE("rates parse as N/SECONDS within bounds", "[users]") {
    CHECK(*parse_rate("30/1") == Rate{30, 1});
    CHECK(*parse_rate("100000/3600") == Rate{100000, 3600});
    for (const char* bad : {"", "30", "/1", "30/", "0/1", "1/0", "-1/1", "1/-1", "30/1/2", "a/b", "100001/1",
                            "1/3601", " 30/1", "30 /1"}) {
        INFO(bad);
        CHECK_FALSE(parse_rate(bad).has_value());
    }
    CHECK(to_string(Rate{5, 2}) == "5/2");
}

TEST_CASE("server.toml and the environment: defaults, overrides, refusals", "[users]") {
    phantom::test::TempDir tmp;
    auto config = load_server_config(tmp.path(), {});
    CHECK(config.ssh_port == 2222);
    CHECK(config.ports == std::vector<std::uint16_t>{80, 443});
    // What the first start writes (the defaults, no public host yet) reads back.
    REQUIRE(phantom::sys::write_file_atomic(tmp.path() / "server.toml", render_server_toml(ServerConfig{}),
                                            0600));
    CHECK(load_server_config(tmp.path(), {}).public_host.empty());
    config.public_host = "vps.example.com";
    REQUIRE(phantom::sys::write_file_atomic(tmp.path() / "server.toml", render_server_toml(config), 0600));
    auto reread = load_server_config(tmp.path(), {});
    CHECK(reread.public_host == "vps.example.com");
    CHECK(reread.egress_rate == config.egress_rate);
    // The environment wins.
    reread = load_server_config(
        tmp.path(), {{"PHANTOM_SSH_PORT", "22"}, {"PHANTOM_ALLOW_TARGETS", "10.1.0.0/16, api.internal"}});
    CHECK(reread.ssh_port == 22);
    CHECK(reread.allow_targets == std::vector<std::string>{"10.1.0.0/16", "api.internal"});
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"PHANTOM_SSH_PORT", "0"},
             {"PHANTOM_SSH_PORT", "ssh"},
             {"PHANTOM_PUBLIC_HOST", "-oProxyCommand=x"},
             {"PHANTOM_ALLOW_TARGETS", "10.0.0.0/33"},
             {"PHANTOM_EGRESS_RATE", "fast"},
             {"PHANTOM_PORTS", ""},
             {"PHANTOM_PORTS", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"},
             {"PHANTOM_TUNNEL_USER", "Root!"}}) {
        INFO(name << "=" << value);
        CHECK_THROWS_AS(load_server_config(tmp.path(), {{name, value}}), phantom::Fatal);
    }
    for (const char* text :
         {"unknown_key = 1\n", "ssh_port = \"x\"\n", "ssh_port = 70000\n", "ports = [\"a\"]\n",
          "public_host = [[1]]\n", "this is not toml\n", "public_host = true\n"}) {
        INFO(text);
        REQUIRE(phantom::sys::write_file_atomic(tmp.path() / "server.toml", text, 0600));
        CHECK_THROWS_AS(load_server_config(tmp.path(), {}), phantom::Fatal);
    }
}
