// SPDX-License-Identifier: MIT
// The login service's files: where they go and what they say, for systemd and launchd.
#include <phantom/daemon/service.hpp>
#include <phantom/error.hpp>

#include "catch.hpp"

using namespace phantom::daemon;

TEST_CASE("systemd: unit path honours XDG_CONFIG_HOME; ExecStart quoted, % doubled", "[service]") {
    CHECK(service_file(ServiceManager::systemd, "/home/a", {}) ==
          "/home/a/.config/systemd/user/phantom.service");
    CHECK(service_file(ServiceManager::systemd, "/home/a", {{"XDG_CONFIG_HOME", "/cfg"}}) ==
          "/cfg/systemd/user/phantom.service");
    CHECK(service_file(ServiceManager::systemd, "/home/a", {{"XDG_CONFIG_HOME", "relative"}}) ==
          "/home/a/.config/systemd/user/phantom.service");
    const auto unit = service_text(ServiceManager::systemd, "/opt/my tools/100%/phantom", "/home/a");
    CHECK(unit.find("ExecStart=\"/opt/my tools/100%%/phantom\" connect --foreground\n") != std::string::npos);
    CHECK(unit.find(
              "Environment=\"PATH=/opt/my tools/100%%:/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin\"") !=
          std::string::npos);
    CHECK(unit.find("Restart=on-failure") != std::string::npos);
    CHECK(unit.find("WantedBy=default.target") != std::string::npos);
    CHECK(unit.find("PHANTOM_CONFIG") == std::string::npos);
    const auto with_config =
        service_text(ServiceManager::systemd, "/usr/bin/phantom", "/home/a", "/etc/p.toml");
    CHECK(with_config.find("Environment=\"PHANTOM_CONFIG=/etc/p.toml\"") != std::string::npos);
}

TEST_CASE("launchd: the agent runs connect --foreground, restarts after failures, XML escaped", "[service]") {
    CHECK(service_file(ServiceManager::launchd, "/Users/a", {}) ==
          "/Users/a/Library/LaunchAgents/dev.phantom.connect.plist");
    const auto plist =
        service_text(ServiceManager::launchd, "/opt/R&D/phantom", "/Users/a", "/Users/a/p<1>.toml");
    CHECK(plist.find("<string>/opt/R&amp;D/phantom</string>\n    <string>connect</string>\n    "
                     "<string>--foreground</string>") != std::string::npos);
    CHECK(plist.find("<key>SuccessfulExit</key>\n    <false/>") != std::string::npos);
    CHECK(plist.find("<string>/Users/a/p&lt;1&gt;.toml</string>") != std::string::npos);
    CHECK(plist.find("<string>/Users/a/.phantom/log/service.log</string>") != std::string::npos);
    // XML forbids "--" inside a comment: the one comment must not have it.
    const auto open = plist.find("<!--");
    const auto close = plist.find("-->");
    REQUIRE(open != std::string::npos);
    CHECK(plist.substr(open + 4, close - open - 4).find("--") == std::string::npos);
}

TEST_CASE("paths a unit cannot carry are refused", "[service]") {
    for (const char* bad :
         {"phantom", "bin/phantom", "/opt/\"x\"/phantom", "/opt/a\\b/phantom", "/opt/a\nb/phantom"}) {
        CHECK_THROWS_AS(service_text(ServiceManager::systemd, bad, "/home/a"), phantom::Error);
        CHECK_THROWS_AS(service_text(ServiceManager::launchd, bad, "/home/a"), phantom::Error);
    }
    CHECK_THROWS_AS(service_text(ServiceManager::systemd, "/usr/bin/phantom", "/home/a", "rel.toml"),
                    phantom::Error);
}
