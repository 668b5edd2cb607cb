// SPDX-License-Identifier: MIT
// state.json: round trip, 0600, and a reader that survives any file.
#include <phantom/daemon/state.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <filesystem>
#include <string>

#include "catch.hpp"
#include "temp_dir.hpp"

using phantom::daemon::read_state;
using phantom::daemon::State;
using phantom::daemon::to_json;
using phantom::daemon::write_state;

namespace {

State sample_state() {
    State state;
    state.pid = 4242;
    state.tunnel_pid = 4243;
    state.tunnel_program = "autossh";
    state.local_port = 1080;
    state.bridge_port = 65535;
    state.mode = "dante";
    state.server = "alice@example.org:2222";
    state.started_at = 1'900'000'000;
    state.phase = "connected";
    state.reconnects = 3;
    state.last_probe_ok = true;
    state.last_probe_at = 1'900'000'123;
    state.last_probe_ms = 12.5;
    state.last_error = "ssh: \"quoted\"\nand ünïcode\t\\";
    state.bridge.active = 2;
    state.bridge.total = 40'000'000'000ULL; // beyond 32 bits
    state.bridge.bytes_up = 1;
    state.bridge.bytes_down = 18'446'744'073'709'551'615ULL; // the largest counter
    state.bridge.failures = {{"refused", 3}, {"tunnel_down", 1}};
    return state;
}

void check_equal(const State& a, const State& b) {
    CHECK(a.pid == b.pid);
    CHECK(a.tunnel_pid == b.tunnel_pid);
    CHECK(a.tunnel_program == b.tunnel_program);
    CHECK(a.local_port == b.local_port);
    CHECK(a.bridge_port == b.bridge_port);
    CHECK(a.mode == b.mode);
    CHECK(a.server == b.server);
    CHECK(a.started_at == b.started_at);
    CHECK(a.phase == b.phase);
    CHECK(a.reconnects == b.reconnects);
    CHECK(a.last_probe_ok == b.last_probe_ok);
    CHECK(a.last_probe_at == b.last_probe_at);
    CHECK(a.last_probe_ms == b.last_probe_ms);
    CHECK(a.last_error == b.last_error);
    CHECK(a.bridge.active == b.bridge.active);
    CHECK(a.bridge.total == b.bridge.total);
    CHECK(a.bridge.bytes_up == b.bridge.bytes_up);
    CHECK(a.bridge.bytes_down == b.bridge.bytes_down);
    CHECK(a.bridge.failures == b.bridge.failures);
}

std::optional<State> read_text(const phantom::test::TempDir& tmp, const std::string& text) {
    const auto file = tmp.path() / "state.json";
    REQUIRE(phantom::sys::write_file_atomic(file, text, 0600));
    return read_state(file);
}

} // namespace

TEST_CASE("state round-trips through state.json written 0600", "[state]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "state.json";
    SECTION("every field set") {
        const State state = sample_state();
        write_state(file, state);
        CHECK(phantom::sys::file_status(file).value().mode == 0600);
        CHECK(phantom::sys::read_file(file).value() == to_json(state) + "\n");
        const auto read = read_state(file);
        REQUIRE(read);
        check_equal(*read, state);
    }
    SECTION("defaults, probe outcome unknown") {
        State state;
        state.pid = 1;
        write_state(file, state);
        const auto read = read_state(file);
        REQUIRE(read);
        check_equal(*read, state);
        CHECK_FALSE(read->last_probe_ok.has_value());
    }
    SECTION("probe failed, rewritten over an older state") {
        write_state(file, sample_state());
        State state = sample_state();
        state.last_probe_ok = false;
        state.last_probe_ms = 0;
        state.phase = "reconnecting";
        write_state(file, state);
        const auto read = read_state(file);
        REQUIRE(read);
        check_equal(*read, state);
    }
}

TEST_CASE("state JSON is one key per line with null for an unknown probe outcome", "[state]") {
    State state = sample_state();
    state.last_probe_ok.reset();
    state.last_error.clear();
    const std::string text = to_json(state);
    CHECK(text.front() == '{');
    CHECK(text.back() == '}');
    CHECK(text.find("\n  \"pid\": 4242,\n") != std::string::npos);
    CHECK(text.find("\n  \"last_probe_ok\": null,\n") != std::string::npos);
    CHECK(text.find("\n  \"last_probe_ms\": 12.5,\n") != std::string::npos);
    CHECK(text.find("\n  \"server\": \"alice@example.org:2222\",\n") != std::string::npos);
    CHECK(text.find("\n  \"last_error\": \"\",\n") != std::string::npos);
    CHECK(text.find("\n  \"bridge\": {\"active\":2,") != std::string::npos);
    CHECK(text.find("\"failures\":{\"refused\":3,\"tunnel_down\":1}}\n}") != std::string::npos);
}

TEST_CASE("writing state into a missing directory throws phantom::Error", "[state]") {
    phantom::test::TempDir tmp;
    CHECK_THROWS_AS(write_state(tmp.path() / "missing" / "state.json", sample_state()), phantom::Error);
}

TEST_CASE("missing, malformed and truncated state files read as nullopt", "[state]") {
    phantom::test::TempDir tmp;
    CHECK_FALSE(read_state(tmp.path() / "absent.json"));
    CHECK_FALSE(read_state(tmp.path())); // a directory

    const std::string full = to_json(sample_state());
    for (const std::size_t cut : {std::size_t{0}, std::size_t{1}, full.size() / 2, full.size() - 3}) {
        INFO("cut at " << cut);
        CHECK_FALSE(read_text(tmp, full.substr(0, cut)));
    }
    for (const char* text : {"not json", "[]", "null", "42", "\"pid\"", "{\"pid\": 1,}", "{\"pid\": 1} {}",
                             "{\"pid\": 1 /* comment */}"}) {
        INFO(text);
        CHECK_FALSE(read_text(tmp, text));
    }
}

TEST_CASE("state with a wrong type or an impossible value reads as nullopt", "[state]") {
    phantom::test::TempDir tmp;
    for (const char* text : {
             R"({})",                              // no pid
             R"({"pid": 0})",                      // not a process
             R"({"pid": "4242"})",                 // string
             R"({"pid": 4242.0})",                 // double
             R"({"pid": 99999999999})",            // beyond int
             R"({"pid": 1, "local_port": 70000})", // beyond a port
             R"({"pid": 1, "bridge_port": -1})",   //
             R"({"pid": 1, "reconnects": -1})",    //
             R"({"pid": 1, "started_at": 18446744073709551615})",
             R"({"pid": 1, "phase": 3})",                 //
             R"({"pid": 1, "server": null})",             //
             R"({"pid": 1, "last_probe_ok": "yes"})",     //
             R"({"pid": 1, "last_probe_ok": 1})",         //
             R"({"pid": 1, "last_probe_ms": "12"})",      //
             R"({"pid": 1, "last_probe_ms": 1e999})",     // parses as infinity
             R"({"pid": 1, "last_probe_ms": -1})",        //
             R"({"pid": 1, "last_error": ["a"]})",        //
             R"({"pid": 1, "bridge": 3})",                //
             R"({"pid": 1, "bridge": {"total": -1}})",    //
             R"({"pid": 1, "bridge": {"active": 1.5}})",  //
             R"({"pid": 1, "bridge": {"failures": []}})", //
             R"({"pid": 1, "bridge": {"failures": {"refused": "3"}}})",
         }) {
        INFO(text);
        CHECK_FALSE(read_text(tmp, text));
    }
}

TEST_CASE("unknown keys are ignored and absent keys keep their defaults", "[state]") {
    phantom::test::TempDir tmp;
    const auto read = read_text(tmp, R"({"pid": 7, "phase": "starting", "future": {"nested": [1, 2]},
                                         "last_probe_ms": 3, "last_probe_ok": null, "colour": "blue"})");
    REQUIRE(read);
    CHECK(read->pid == 7);
    CHECK(read->phase == "starting");
    CHECK(read->last_probe_ms == 3.0);
    CHECK_FALSE(read->last_probe_ok.has_value());
    CHECK(read->tunnel_pid == 0);
    CHECK(read->server.empty());
    CHECK(read->local_port == 0);
}
