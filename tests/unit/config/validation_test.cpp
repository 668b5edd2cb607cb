// SPDX-License-Identifier: MIT
// Unit tests of the shared validators: hosts, user names, SSH public keys, edit distance.
#include <phantom/config/validation.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

using phantom::config::check_host;
using phantom::config::check_host_key;
using phantom::config::check_user_name;
using phantom::config::edit_distance;

namespace {

// Real keys from ssh-keygen (OpenSSH 9.2); the sk-* ones are built the way OpenSSH
// serialises them (type, key, application "ssh:") and accepted by `ssh-keygen -lf`.
const std::string k_ed25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k";
const std::string k_ecdsa256 =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLdOOEgemo5KRzOrb3H/"
    "E8yJTTB8NhS61NLOT+HqQ4CvtlD6jUSCj4d6TaZ5JW5zuLX7b9wvxYnjKMsNvaKAOe4=";
const std::string k_ecdsa384 =
    "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBOEVIg033f37qIgn+"
    "dQRW7HT4id+bXRr83+e47rv6PiEsNErtrqR39or7HNKE6mEo14rCtdQf+V8RGnOnH15vR6/rH4/"
    "psXRy1wil6CyzbMiaUK+zp+Ou3j0caMQ7SrQ7g==";
const std::string k_ecdsa521 =
    "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAF0BnU92OYf68R6EuE+"
    "4KIolgUoTe9CU7Uc5sTLEIgUqG/"
    "yeoBwrjY3Cf100Mxi7hRmk8kDYeB903nFY6LLqMjLNQAOG0Q1f4flqUv5cq3Y1DFcQ3RyR9W46p5fyFEnQ"
    "vKZ6DB9q2DZKL74BSVR5L4KXelk3Wuv5vk1U6hpnchHj8QKZw==";
const std::string k_rsa =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC5K6em+P0b9n+7ZWE5DkLmhi0BJzlDYeHhG6gqD8I/"
    "1n5HaM+FZmHIHS0e6PutYE4hTrfCp593LLY2Gsu/Wg4oxAeFD5wBzwfSlJjyQUheOg0bopFkEGvNawb+MrVuN8uqogPbco8N7rr2xvD/"
    "yqbZP3s1FFm5iNQIaJSBXPavUQ==";
const std::string k_sk_ed25519 =
    "sk-ssh-ed25519@openssh.com "
    "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHA"
    "fCvx4J+U0kAAAABHNzaDo=";
const std::string k_sk_ecdsa =
    "sk-ecdsa-sha2-nistp256@openssh.com "
    "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBLdOOEgemo5KRzOrb3H/"
    "E8yJTTB8NhS61NLOT+HqQ4CvtlD6jUSCj4d6TaZ5JW5zuLX7b9wvxYnjKMsNvaKAOe4AAAAEc3NoOg==";

} // namespace

TEST_CASE("check_host accepts host names and IP literals", "[validation]") {
    const std::vector<std::string> good = {
        "localhost",
        "dante",
        "vps.example.com",
        "EXAMPLE.org",
        "a-b.c-d.example",
        "1st.example.com",
        "xn--bcher-kva.example",
        "127.0.0.1",
        "203.0.113.9",
        "::1",
        "2001:db8::1",
        "fe80::1:2:3:4",
        "::ffff:192.0.2.1",
        std::string(63, 'a') + ".example",
    };
    for (const auto& host : good) {
        CAPTURE(host);
        CHECK_FALSE(check_host(host).has_value());
    }
}

TEST_CASE("check_host rejects what ssh would misread", "[validation]") {
    std::string longest;
    while (longest.size() < 250) {
        longest += "abcdefghi.";
    }
    const std::vector<std::string> bad = {
        "",
        "-oProxyCommand=touch /tmp/x",
        "-host",
        "host name",
        "host\nname",
        "host\tname",
        std::string("ho\0st", 5),
        "host\x7f",
        "user@host",
        "host/path",
        "host:22",
        "[::1]",
        "[2001:db8::1]",
        "fe80::1%eth0",
        "1.2.3.999",
        "1.2.3",
        "127.1",
        "999",
        "01.2.3.4",
        "a..b",
        ".example.com",
        "example.com.",
        "-a.example",
        "a-.example",
        "under_score.example",
        "bücher.example",
        "host;rm",
        "h$ost",
        std::string(64, 'a') + ".example",
        longest + "abcd",
    };
    for (const auto& host : bad) {
        CAPTURE(host);
        CHECK(check_host(host).has_value());
    }
}

TEST_CASE("check_host reasons say what is wrong", "[validation]") {
    CHECK(check_host("") == std::optional<std::string>("host is empty"));
    CHECK(check_host("-oProxyCommand=x")->find("'-'") != std::string::npos);
    CHECK(check_host("[::1]")->find("brackets") != std::string::npos);
    CHECK(check_host("a b")->find("whitespace") != std::string::npos);
}

TEST_CASE("check_user_name follows portable POSIX user names", "[validation]") {
    const std::vector<std::string> good = {"alice",    "_svc", "bob.smith",
                                           "a-b_c.d9", "a",    std::string(32, 'x')};
    for (const auto& name : good) {
        CAPTURE(name);
        CHECK_FALSE(check_user_name(name).has_value());
    }
    const std::vector<std::string> bad = {
        "",        "-oProxyCommand=x", "-alice", "Alice",  "9lives", ".hidden",           "al ice",
        "al\nice", "al@ice",           "al:ice", "al/ice", "élodie", std::string(33, 'x')};
    for (const auto& name : bad) {
        CAPTURE(name);
        CHECK(check_user_name(name).has_value());
    }
}

TEST_CASE("check_host_key accepts every supported key type", "[validation]") {
    for (const auto& key : {k_ed25519, k_ecdsa256, k_ecdsa384, k_ecdsa521, k_rsa, k_sk_ed25519, k_sk_ecdsa}) {
        CAPTURE(key);
        CHECK_FALSE(check_host_key(key).has_value());
        CHECK_FALSE(check_host_key(key, true).has_value());
    }
}

TEST_CASE("check_host_key allows a comment only when asked", "[validation]") {
    const std::string with_comment = k_ed25519 + " alice@laptop";
    CHECK(check_host_key(with_comment).has_value());
    CHECK_FALSE(check_host_key(with_comment, true).has_value());
    CHECK_FALSE(check_host_key(k_ed25519 + " two words", true).has_value());
    CHECK(check_host_key(k_ed25519 + " comment\nssh-ed25519 AAAA", true).has_value());
}

TEST_CASE("check_host_key rejects line injection and options", "[validation]") {
    const std::vector<std::string> bad = {
        "",
        k_ed25519 + "\n",
        k_ed25519 + "\r",
        k_ed25519 + "\nevil.example " + k_ed25519,
        "ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k",
        std::string("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k\0", 81),
        "command=\"/bin/sh\" " + k_ed25519,
        "restrict,permitopen=\"*:*\" " + k_ed25519,
        "@cert-authority " + k_ed25519,
        "@revoked " + k_ed25519,
        " " + k_ed25519,
        "ssh-ed25519",
        "ssh-ed25519 ",
        "ssh-ed25519  AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        "ssh-ed25519-cert-v01@openssh.com AAAA",
        "SSH-ED25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k",
    };
    for (const auto& key : bad) {
        CAPTURE(key);
        CHECK(check_host_key(key).has_value());
        CHECK(check_host_key(key, true).has_value());
    }
    CHECK(check_host_key("command=\"x\" " + k_ed25519, true)->find("options") != std::string::npos);
    CHECK(check_host_key(k_ed25519 + "\n")->find("newline") != std::string::npos);
}

TEST_CASE("check_host_key decodes the blob strictly", "[validation]") {
    const std::vector<std::string> bad = {
        // Not a multiple of four.
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0",
        // Characters outside the alphabet.
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J!U0k",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J-U0k",
        // Padding in the middle (OpenSSL alone would decode it as zero bits).
        "ssh-ed25519 AAAA=3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k",
        // Non-canonical padding bits.
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLdOOEgemo5KRzOrb3H/"
        "E8yJTTB8NhS61NLOT+HqQ4CvtlD6jUSCj4d6TaZ5JW5zuLX7b9wvxYnjKMsNvaKAOe5=",
        // Too much padding.
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k====",
        // Type mismatch: an ssh-rsa blob under an ssh-ed25519 prefix.
        "ssh-ed25519 AAAAB3NzaC1yc2EAAAAg4gi9G6OF7OquHppcXrGCzDfeJf2Rd3AcB8K/Hgn5TSQ=",
        // An ecdsa blob under ssh-rsa.
        "ssh-rsa AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLdOOEgemo5KRzOrb3H/"
        "E8yJTTB8NhS61NLOT+HqQ4CvtlD6jUSCj4d6TaZ5JW5zuLX7b9wvxYnjKMsNvaKAOe4=",
        // Truncated key material.
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0=",
        // The type and nothing else.
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
        // Too short to hold a length.
        "ssh-ed25519 AAA=",
    };
    for (const auto& key : bad) {
        CAPTURE(key);
        CHECK(check_host_key(key).has_value());
    }
    CHECK(check_host_key("ssh-ed25519 AAAAB3NzaC1yc2EAAAAg4gi9G6OF7OquHppcXrGCzDfeJf2Rd3AcB8K/Hgn5TSQ=")
              ->find("different key type") != std::string::npos);
    CHECK(check_host_key(std::string("ssh-ed25519 ") + std::string(20000, 'A')).has_value());
}

TEST_CASE("edit_distance is the Levenshtein distance", "[validation]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("port", "port") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("abc", "") == 3);
    CHECK(edit_distance("portt", "port") == 1);
    CHECK(edit_distance("prot", "port") == 2);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("flaw", "lawn") == 2);
    CHECK(edit_distance("host_key", "hostkey") == 1);
    CHECK(edit_distance("sitting", "kitten") == edit_distance("kitten", "sitting"));
}
