// SPDX-License-Identifier: MIT
// The daemon log: line format, injection-proof lines, 0600 mode, one rotation, tail.
#include <phantom/daemon/log.hpp>
#include <phantom/sys/fs.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "catch.hpp"
#include "temp_dir.hpp"

using phantom::daemon::Log;
using phantom::daemon::tail_lines;

namespace {

std::vector<std::string> lines_of(const std::filesystem::path& file) {
    const auto text = phantom::sys::read_file(file);
    std::vector<std::string> lines;
    if (!text) {
        return lines;
    }
    std::string current;
    for (const char c : *text) {
        if (c == '\n') {
            lines.push_back(current);
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    REQUIRE(current.empty()); // every line is terminated
    return lines;
}

std::filesystem::path rotated(const std::filesystem::path& file) {
    auto path = file;
    path += ".1";
    return path;
}

} // namespace

TEST_CASE("log lines carry a UTC timestamp, the level, the event and the detail", "[log]") {
    phantom::test::TempDir tmp;
    Log log(tmp.path() / "phantom.log");
    log.info("tunnel.started", "autossh pid 42");
    log.warn("probe.slow");
    log.error("tunnel.failed", "exit 255");
    const auto lines = lines_of(log.path());
    REQUIRE(lines.size() == 3);
    const std::string stamp = R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z )";
    CHECK(std::regex_match(lines[0], std::regex(stamp + "INFO tunnel\\.started: autossh pid 42$")));
    CHECK(std::regex_match(lines[1], std::regex(stamp + "WARN probe\\.slow$")));
    CHECK(std::regex_match(lines[2], std::regex(stamp + "ERROR tunnel\\.failed: exit 255$")));
    CHECK(log.write_failures() == 0);
}

TEST_CASE("log file is created 0600 and tightened when widened", "[log]") {
    phantom::test::TempDir tmp;
    Log log(tmp.path() / "phantom.log");
    log.info("one");
    CHECK(phantom::sys::file_status(log.path()).value().mode == 0600);
    std::filesystem::permissions(log.path(), std::filesystem::perms::all);
    log.info("two");
    CHECK(phantom::sys::file_status(log.path()).value().mode == 0600);
}

TEST_CASE("newlines and control characters cannot forge log lines", "[log]") {
    phantom::test::TempDir tmp;
    Log log(tmp.path() / "phantom.log");
    log.error("ssh\nfailed", "Permission denied\r\n2030-01-01T00:00:00Z INFO tunnel.connected\x1b[2J\x7f");
    const auto lines = lines_of(log.path());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(
              "ERROR ssh failed: Permission denied  2030-01-01T00:00:00Z INFO tunnel.connected [2J ") !=
          std::string::npos);
    for (const char c : lines[0]) {
        const auto byte = static_cast<unsigned char>(c);
        CHECK((byte >= 0x20 && byte != 0x7f));
    }
}

TEST_CASE("log rotates once at the cap and keeps at most two files", "[log]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "phantom.log";
    constexpr std::size_t k_cap = 300;
    Log log(file, k_cap);
    // Each line is about 45 bytes; 100 lines rotate many times.
    for (int i = 0; i < 100; ++i) {
        log.info("event", "number " + std::to_string(i));
        REQUIRE(std::filesystem::file_size(file) <= k_cap);
        if (std::filesystem::exists(rotated(file))) {
            REQUIRE(std::filesystem::file_size(rotated(file)) <= k_cap);
        }
    }
    CHECK(log.write_failures() == 0);
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(tmp.path())) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"phantom.log", "phantom.log.1"});
    CHECK(phantom::sys::file_status(rotated(file)).value().mode == 0600);

    // The newest line is last in the file, the lines before it are in .1 or above it; none lost
    // across the last rotation.
    auto recent = lines_of(rotated(file));
    const auto current = lines_of(file);
    recent.insert(recent.end(), current.begin(), current.end());
    REQUIRE(recent.size() >= 2);
    CHECK(recent.back().find("event: number 99") != std::string::npos);
    CHECK(recent[recent.size() - 2].find("event: number 98") != std::string::npos);
}

TEST_CASE("a line longer than the cap starts a file of its own and is cut at 8 KiB", "[log]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "phantom.log";
    Log log(file, 100);
    log.info("first");
    log.info("huge", std::string(20000, 'x'));
    CHECK(lines_of(rotated(file)).size() == 1);
    const auto lines = lines_of(file);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].size() + 1 <= 8 * 1024);
    CHECK(lines[0].find("[truncated]") != std::string::npos);
}

TEST_CASE("an unwritable log counts failures and never throws", "[log]") {
    phantom::test::TempDir tmp;
    SECTION("missing directory") {
        Log log(tmp.path() / "missing" / "phantom.log");
        CHECK_NOTHROW(log.info("one"));
        CHECK_NOTHROW(log.error("two", "detail"));
        CHECK(log.write_failures() == 2);
    }
    SECTION("the path is a directory") {
        std::filesystem::create_directory(tmp.path() / "phantom.log");
        Log log(tmp.path() / "phantom.log", 10);
        CHECK_NOTHROW(log.warn("one"));
        CHECK(log.write_failures() == 1);
    }
}

TEST_CASE("tail_lines returns the last lines, reaching into the rotated file", "[log]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "phantom.log";
    CHECK(tail_lines(file, 5).empty());

    Log log(file);
    for (int i = 0; i < 5; ++i) {
        log.info("event", std::to_string(i));
    }
    const auto tail = tail_lines(file, 2);
    CHECK(std::count(tail.begin(), tail.end(), '\n') == 2);
    CHECK(tail.find("event: 3\n") != std::string::npos);
    CHECK(tail.find("event: 4\n") != std::string::npos);
    CHECK(tail.find("event: 2") == std::string::npos);
    CHECK(tail_lines(file, 0).empty());
    const auto all = tail_lines(file, 100);
    CHECK(std::count(all.begin(), all.end(), '\n') == 5);

    std::filesystem::rename(file, rotated(file));
    log.info("event", "5");
    const auto across = tail_lines(file, 3);
    CHECK(std::count(across.begin(), across.end(), '\n') == 3);
    CHECK(across.find("event: 3\n") < across.find("event: 4\n"));
    CHECK(across.find("event: 4\n") < across.find("event: 5\n"));
    CHECK(across.find("event: 5\n") != std::string::npos);
}

TEST_CASE("tail_lines keeps a final line without its newline", "[log]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "phantom.log";
    REQUIRE(phantom::sys::write_file_atomic(file, "a\nb\npartial", 0600));
    CHECK(tail_lines(file, 2) == "b\npartial\n");
}

TEST_CASE("tail_lines defuses terminal escapes in files it did not write", "[log]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "tunnel.log";
    REQUIRE(phantom::sys::write_file_atomic(file,
                                            "ssh: \x1b]0;pwned\x07"
                                            "denied\r\n",
                                            0600));
    CHECK(tail_lines(file, 5) == "ssh:  ]0;pwned denied\n");
}
