// SPDX-License-Identifier: MIT
// Rendering the daemons' files: the golden danted rules, templates, keys, password file.
#include <phantom/admin/render.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <cstdlib>
#include <string>

#include "catch.hpp"

using namespace phantom::admin;

namespace {

const std::filesystem::path k_golden = PHANTOM_TEST_GOLDEN_DIR;

std::vector<Member> sample_members() {
    Member alice;
    alice.name = "alice";
    alice.password_hash = "$y$j9T$salt$hash";
    alice.ssh_key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAb2vX3wpVmxybxSFf0Dst3EaxBkOX9qVmFprLGRssNg alice@laptop";
    Member bob;
    bob.name = "bob";
    bob.password_hash = "$6$salt$hash";
    bob.max_sessions = 4;
    bob.rate = Rate{5, 2};
    Member carol;
    carol.name = "carol";
    carol.password_hash = "$y$x";
    carol.ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHkQndm+pjI/eEVTnA9L1JZevC5Xac/y/9SC7e5kostF";
    carol.enabled = false;
    return {alice, bob, carol};
}

ServerConfig sample_config() {
    ServerConfig c;
    c.dante_addr = "dante";
    c.ports = {443, 80};
    c.allow_targets = {"10.9.0.0/16"};
    return c;
}

} // namespace

TEST_CASE("danted rules match the golden file", "[render]") {
    const std::string rules = dante_rules(sample_config(), sample_members());
    // After a deliberate change: PHANTOM_UPDATE_GOLDEN=1 rewrites the file; review its diff.
    if (std::getenv("PHANTOM_UPDATE_GOLDEN") != nullptr) {
        REQUIRE(phantom::sys::write_file_atomic(k_golden / "danted_rules.conf", rules, 0644));
    }
    const auto golden = phantom::sys::read_file(k_golden / "danted_rules.conf");
    REQUIRE(golden.has_value());
    CHECK(rules == *golden);
}

TEST_CASE("danted rules: order and content that security depends on", "[render]") {
    const std::string rules = dante_rules(sample_config(), sample_members());
    // The login check comes before any block; the private-range blocks before members' general rules.
    const auto check = rules.find("to: 127.0.0.1/32 port = 1");
    const auto first_block = rules.find("socks block {\n  from: 0/0");
    const auto metadata = rules.find("to: 169.254.0.0/16");
    const auto alice_general =
        rules.find("from: 0/0 to: 0/0\n  command: connect\n  socksmethod: pam.username\n"
                   "  pam.servicename: phantom\n  user: alice");
    REQUIRE(check != std::string::npos);
    REQUIRE(metadata != std::string::npos);
    REQUIRE(alice_general != std::string::npos);
    CHECK(check < first_block);
    CHECK(metadata < alice_general);
    // Ports: everything but 80 and 443 is blocked.
    CHECK(rules.find("port 1-79") != std::string::npos);
    CHECK(rules.find("port 81-442") != std::string::npos);
    CHECK(rules.find("port 444-65535") != std::string::npos);
    // A disabled member has no rule; limits come from the member, else the defaults.
    CHECK(rules.find("user: carol") == std::string::npos);
    CHECK(rules.find("user: bob\n  session.max: 4\n  session.throttle: 5/2") != std::string::npos);
    CHECK(rules.find("user: alice\n  session.max: 32\n  session.throttle: 30/1") != std::string::npos);
    // The exemption precedes the blocks, per member.
    CHECK(rules.find("to: 10.9.0.0/16") < rules.find("to: 10.0.0.0/8"));
    // Ends with a block of everything.
    const std::string last = "socks block {\n  from: 0/0 to: 0/0\n  log: connect error\n}\n";
    CHECK(rules.rfind(last) == rules.size() - last.size());
    // The method and the PAM service are on separate lines (design §7).
    CHECK(rules.find("pam.username pam.servicename") == std::string::npos);
}

TEST_CASE("authorized_keys: enabled members with keys, restricted, own comments dropped", "[render]") {
    const std::string keys = render_authorized_keys(sample_config(), sample_members());
    CHECK(keys.find(
              "restrict,port-forwarding,permitopen=\"dante:1080\",command=\"/usr/sbin/nologin\" ssh-ed25519 "
              "AAAAC3NzaC1lZDI1NTE5AAAAIAb2vX3wpVmxybxSFf0Dst3EaxBkOX9qVmFprLGRssNg phantom:alice\n") !=
          std::string::npos);
    CHECK(keys.find("alice@laptop") == std::string::npos);
    CHECK(keys.find("phantom:bob") == std::string::npos);   // no key
    CHECK(keys.find("phantom:carol") == std::string::npos); // disabled
}

TEST_CASE("password file: enabled members only", "[render]") {
    CHECK(render_password_file(sample_members()) == "alice:$y$j9T$salt$hash\nbob:$6$salt$hash\n");
}

TEST_CASE("templates: every placeholder filled, an unknown one refused", "[render]") {
    CHECK(fill_template("a {{x}} b {{y}}", {{"x", "1"}, {"y", "2"}}) == "a 1 b 2");
    CHECK(fill_template("no placeholders", {}) == "no placeholders");
    CHECK_THROWS_AS(fill_template("a {{missing}}", {{"x", "1"}}), phantom::Error);
    CHECK_THROWS_AS(fill_template("a {{x", {{"x", "1"}}), phantom::Error);
    // The real templates render with what phantom-admin provides.
    for (const char* name : {"danted.conf", "sshd_config"}) {
        INFO(name);
        const auto text = phantom::sys::read_file(std::filesystem::path(PHANTOM_SERVER_DIR) / name);
        REQUIRE(text.has_value());
        const auto config = sample_config();
        const std::string out = std::string(name) == "danted.conf"
                                    ? render_danted_conf(*text, config, sample_members())
                                    : render_sshd_config(*text, config, data_files("/data"));
        CHECK(out.find("{{") == std::string::npos);
    }
}
