// SPDX-License-Identifier: MIT
// ssh's messages (OpenSSH 9.2, as printed on Debian 12) turned into causes and fixes.
#include <phantom/tunnel/diagnose.hpp>

#include "catch.hpp"

using phantom::tunnel::diagnose_ssh_output;

TEST_CASE("known ssh failures are explained", "[diagnose]") {
    struct Case {
        const char* output;
        const char* cause_part;
        bool permanent;
    };
    const Case cases[] = {
        {"@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
         "Host key verification failed.\n",
         "host key mismatch: the server's key is not the pinned one", true},
        {"No ED25519 host key is known for [10.0.0.2]:22 and you have requested strict checking.\n"
         "Host key verification failed.\n",
         "host key mismatch or not pinned", true},
        {"phantom@10.0.0.2: Permission denied (publickey).\n", "refused your SSH key", true},
        {"bind [127.0.0.1]:17080: Address already in use\nchannel_setup_fwd_listener_tcpip: cannot listen to "
         "port: "
         "17080\nCould not request local forwarding.\n",
         "local tunnel port is busy", true},
        {"ssh: Could not resolve hostname vps.invalid: Name or service not known\n", "does not resolve",
         false},
        {"ssh: connect to host 10.0.0.2 port 22: Connection refused\n", "refused the connection", false},
        {"ssh: connect to host 10.0.0.2 port 22: Connection timed out\n", "did not answer", false},
        {"ssh: connect to host 10.0.0.2 port 22: No route to host\n", "no route", false},
    };
    for (const auto& c : cases) {
        const auto d = diagnose_ssh_output(c.output, "vps");
        REQUIRE(d.has_value());
        CHECK(d->cause.find(c.cause_part) != std::string::npos);
        CHECK(d->permanent == c.permanent);
        CHECK_FALSE(d->hint.empty());
    }
}

TEST_CASE("the most specific message wins and unknown output is not guessed", "[diagnose]") {
    const auto d = diagnose_ssh_output("ssh: connect to host h port 22: Connection refused\n"
                                       "phantom@h: Permission denied (publickey).\n",
                                       "h");
    REQUIRE(d.has_value());
    CHECK(d->cause.find("SSH key") != std::string::npos);
    CHECK_FALSE(diagnose_ssh_output("Warning: Permanently added\nall fine\n", "h").has_value());
    CHECK_FALSE(diagnose_ssh_output("", "h").has_value());
}
