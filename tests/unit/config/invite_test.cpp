// SPDX-License-Identifier: MIT
// Unit tests of invite URIs: good invites, hostile ones, and the format/parse round trip.
#include <phantom/config/invite.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "catch.hpp"

using phantom::config::format_invite;
using phantom::config::Invite;
using phantom::config::Mode;
using phantom::config::parse_invite;

namespace {

const std::string k_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k";
// k_key as a query value: the space and the '+' percent-encoded.
const std::string k_key_query =
    "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J%2BU0k";
const std::string k_password = "Sup3rS3cr3tXyZ";

bool same(const Invite& a, const Invite& b) {
    return std::tie(a.socks_user, a.password, a.host, a.ssh_port, a.mode, a.socks_port, a.tunnel_user,
                    a.host_key, a.dante_host) == std::tie(b.socks_user, b.password, b.host, b.ssh_port,
                                                          b.mode, b.socks_port, b.tunnel_user, b.host_key,
                                                          b.dante_host);
}

Invite parse_ok(const std::string& uri) {
    CAPTURE(uri);
    const auto result = parse_invite(uri);
    if (!result) {
        FAIL("unexpected error: " << result.error());
    }
    return *result;
}

std::string parse_error(const std::string& uri) {
    const auto result = parse_invite(uri);
    if (result) {
        return {};
    }
    return result.error();
}

std::string invite_with(const std::string& authority, const std::string& rest = "/?hostkey=" + k_key_query) {
    return "phantom://" + authority + rest;
}

} // namespace

TEST_CASE("a complete invite parses into every field", "[invite]") {
    const Invite invite = parse_ok(
        "phantom://alice:" + k_password +
        "@vps.example.com:2222/?mode=direct&socks_port=1081&tunnel_user=tunnel&hostkey=" + k_key_query +
        "&dante_host=127.0.0.1");
    CHECK(invite.socks_user == "alice");
    CHECK(invite.password == k_password);
    CHECK(invite.host == "vps.example.com");
    CHECK(invite.ssh_port == 2222);
    CHECK(invite.mode == Mode::direct);
    CHECK(invite.socks_port == 1081);
    CHECK(invite.tunnel_user == "tunnel");
    CHECK(invite.host_key == k_key);
    CHECK(invite.dante_host == "127.0.0.1");
}

TEST_CASE("an invite with only the host key gets the defaults", "[invite]") {
    for (const auto& rest : {"/?hostkey=" + k_key_query, "?hostkey=" + k_key_query}) {
        const Invite invite = parse_ok(invite_with("bob:pw@203.0.113.7:22", rest));
        CHECK(invite.socks_user == "bob");
        CHECK(invite.host == "203.0.113.7");
        CHECK(invite.ssh_port == 22);
        CHECK(invite.mode == Mode::dante);
        CHECK(invite.socks_port == 1080);
        CHECK(invite.tunnel_user == "phantom");
        CHECK(invite.dante_host == "dante");
        CHECK(invite.host_key == k_key);
    }
}

TEST_CASE("IPv6 hosts lose their URI brackets", "[invite]") {
    CHECK(parse_ok(invite_with("bob:pw@[2001:db8::1]:2222")).host == "2001:db8::1");
    CHECK(parse_ok(invite_with("bob:pw@[::1]:22")).host == "::1");
}

TEST_CASE("userinfo and query values are percent-decoded", "[invite]") {
    CHECK(parse_ok(invite_with("bob:p%40ss%3Aw%2Fo%25rd%26%3D%2B%20x@h.example:22")).password ==
          "p@ss:w/o%rd&=+ x");
    // RFC 3986 §3.2.1: everything after the first ':' is the password, ':' included.
    CHECK(parse_ok(invite_with("bob:a:b:c@h.example:22")).password == "a:b:c");
    // A '+' stays a '+': the query is decoded per RFC 3986, not as a form.
    CHECK(parse_ok(invite_with("bob:a+b@h.example:22")).password == "a+b");
    const std::string plus_key =
        "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIOIIvRujhezqrh6aXF6xgsw33iX9kXdwHAfCvx4J+U0k";
    CHECK(parse_ok(invite_with("bob:pw@h.example:22", "/?hostkey=" + plus_key)).host_key == k_key);
    CHECK(parse_ok(invite_with("b%6Fb:pw@h.example:22")).socks_user == "bob");
    CHECK(parse_ok(invite_with("bob:pw@h.example:22", "/?hostkey=" + k_key_query + "&mo%64e=direct")).mode ==
          Mode::direct);
}

TEST_CASE("the scheme is case-insensitive and unknown parameters are ignored", "[invite]") {
    CHECK(parse_ok("PHANTOM://bob:pw@h.example:22/?hostkey=" + k_key_query).socks_user == "bob");
    const Invite invite =
        parse_ok(invite_with("bob:pw@h.example:22", "/?future=1&hostkey=" + k_key_query + "&future2&&x=%0A"));
    CHECK(invite.host_key == k_key);
}

TEST_CASE("the longest accepted password is 255 bytes (RFC 1929)", "[invite]") {
    const std::string password(255, 'p');
    CHECK(parse_ok(invite_with("bob:" + password + "@h.example:22")).password == password);
}

TEST_CASE("hostile invites are rejected with one line that never shows the password", "[invite]") {
    const std::string pw = k_password;
    const std::string ok_query = "/?hostkey=" + k_key_query;
    const std::vector<std::string> hostile = {
        // Not an invite at all.
        "",
        "phantom",
        "phantom:",
        "phantom://",
        std::string("\x00\xff\xfe\x01garbage", 11),
        "\xc3\xa9\xe2\x82\xac",
        "phantom://bob:" + pw + "@h.example:22/?hostkey=" + k_key_query + "\n",
        "phantom://bob:" + pw + " @h.example:22/?hostkey=" + k_key_query,
        "//bob:" + pw + "@h.example:22/?hostkey=" + k_key_query,
        // Wrong scheme.
        "http://bob:" + pw + "@h.example:22/?hostkey=" + k_key_query,
        "ssh://bob:" + pw + "@h.example:22/?hostkey=" + k_key_query,
        "phantomx://bob:" + pw + "@h.example:22/?hostkey=" + k_key_query,
        "phantom:bob:" + pw + "@h.example:22",
        // Userinfo.
        invite_with("h.example:22"),
        invite_with("bob@h.example:22"),
        invite_with("bob:@h.example:22"),
        invite_with(":" + pw + "@h.example:22"),
        invite_with("-oProxyCommand=touch%20x:" + pw + "@h.example:22"),
        invite_with("Bob:" + pw + "@h.example:22"),
        invite_with("bob%0A:" + pw + "@h.example:22"),
        invite_with("bob:" + pw + "%0A@h.example:22"),
        invite_with("bob:" + pw + "%0D@h.example:22"),
        invite_with("bob:" + pw + "%00@h.example:22"),
        invite_with("bob:" + pw + "%7F@h.example:22"),
        invite_with("bob:" + pw + std::string(256 - pw.size(), 'x') + "@h.example:22"),
        "phantom://bob:" + pw + "@",
        "phantom://bob:" + pw + "@:22/?hostkey=" + k_key_query,
        // Host.
        invite_with("bob:" + pw + "@h%20x.example:22"),
        invite_with("bob:" + pw + "@h.example%0A:22"),
        invite_with("bob:" + pw + "@-oProxyCommand=touch%20x:22"),
        invite_with("bob:" + pw + "@-h.example:22"),
        invite_with("bob:" + pw + "@h_x.example:22"),
        invite_with("bob:" + pw + "@1.2.3.999:22"),
        invite_with("bob:" + pw + "@[v1.fe]:22"),
        invite_with("bob:" + pw + "@[::1:22"),
        invite_with("bob:" + pw + "@%5B::1%5D:22"),
        // Port.
        invite_with("bob:" + pw + "@h.example"),
        invite_with("bob:" + pw + "@h.example:"),
        invite_with("bob:" + pw + "@h.example:0"),
        invite_with("bob:" + pw + "@h.example:65536"),
        invite_with("bob:" + pw + "@h.example:99999999999999999999"),
        invite_with("bob:" + pw + "@h.example:abc"),
        invite_with("bob:" + pw + "@h.example:-1"),
        // Path and fragment.
        invite_with("bob:" + pw + "@h.example:22", "/x?hostkey=" + k_key_query),
        invite_with("bob:" + pw + "@h.example:22", "//?hostkey=" + k_key_query),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "#frag"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "#"),
        // Host key.
        invite_with("bob:" + pw + "@h.example:22", "/"),
        invite_with("bob:" + pw + "@h.example:22", "/?hostkey="),
        invite_with("bob:" + pw + "@h.example:22", "/?hostkey"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "%0Aevil.example%20" + k_key_query),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "%0D"),
        invite_with(
            "bob:" + pw + "@h.example:22",
            "/?hostkey=ssh-ed25519%20AAAAB3NzaC1yc2EAAAAg4gi9G6OF7OquHppcXrGCzDfeJf2Rd3AcB8K/Hgn5TSQ%3D"),
        invite_with("bob:" + pw + "@h.example:22", "/?hostkey=ssh-ed25519%20not-base64!"),
        invite_with("bob:" + pw + "@h.example:22", "/?hostkey=ssh-ed25519%20AAAA%3DAAA"),
        invite_with("bob:" + pw + "@h.example:22", "/?hostkey=command%3D%22sh%22%20" + k_key_query),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "%20comment"),
        // Other parameters.
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&mode=socks"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&mode="),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&mode=DANTE"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&socks_port=0"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&socks_port=65536"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&socks_port=abc"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&socks_port=%2B1080"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&tunnel_user=-oProxyCommand%3Dtouch%20x"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&tunnel_user=root%0Aevil"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&dante_host=-oProxyCommand%3Dx"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&dante_host=a%20b"),
        // Duplicates.
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&mode=dante&mode=direct"),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&hostkey=" + k_key_query),
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&host%6Bey=" + k_key_query),
        // Size.
        invite_with("bob:" + pw + "@h.example:22", ok_query + "&pad=" + std::string(70000, 'a')),
    };
    for (const auto& uri : hostile) {
        CAPTURE(uri);
        const std::string error = parse_error(uri);
        CHECK_FALSE(error.empty());
        CHECK(error.rfind("invite: ", 0) == 0);
        CHECK(error.find('\n') == std::string::npos);
        CHECK(error.find('\r') == std::string::npos);
        CHECK(error.find(pw) == std::string::npos);
    }
}

TEST_CASE("errors name the problem", "[invite]") {
    CHECK(parse_error("http://bob:pw@h.example:22/?hostkey=" + k_key_query).find("scheme") !=
          std::string::npos);
    CHECK(parse_error(invite_with("bob@h.example:22")).find("password") != std::string::npos);
    CHECK(parse_error(invite_with("bob:pw@h.example")).find("port") != std::string::npos);
    CHECK(parse_error(invite_with("bob:pw@h.example:abc")).find("port") != std::string::npos);
    CHECK(parse_error(invite_with("bob:pw@h.example:22", "/x")).find("path") != std::string::npos);
    CHECK(
        parse_error(invite_with("bob:pw@h.example:22", "/?hostkey=" + k_key_query + "#x")).find("fragment") !=
        std::string::npos);
    CHECK(parse_error(invite_with("bob:pw@h.example:22", "/")).find("hostkey") != std::string::npos);
    CHECK(parse_error(invite_with("bob:pw@h.example:22", "/?hostkey=" + k_key_query + "&mode=x"))
              .find("mode") != std::string::npos);
    CHECK(
        parse_error(invite_with("bob:pw@h.example:22", "/?hostkey=" + k_key_query + "&mode=dante&mode=dante"))
            .find("twice") != std::string::npos);
}

TEST_CASE("format_invite writes the documented URI", "[invite]") {
    Invite invite;
    invite.socks_user = "alice";
    invite.password = "pw";
    invite.host = "vps.example.com";
    invite.ssh_port = 2222;
    invite.host_key = k_key;
    CHECK(format_invite(invite) == "phantom://alice:pw@vps.example.com:2222/?mode=dante&socks_port=1080"
                                   "&tunnel_user=phantom&hostkey=" +
                                       k_key_query);
    // An IPv4 address stays readable (not "203%2E0%2E113%2E7") and parses back as written.
    invite.host = "203.0.113.7";
    CHECK(format_invite(invite).starts_with("phantom://alice:pw@203.0.113.7:2222/?"));
    CHECK(parse_ok(format_invite(invite)).host == "203.0.113.7");
    invite.host = "2001:db8::1";
    invite.dante_host = "127.0.0.1";
    CHECK(format_invite(invite) == "phantom://alice:pw@[2001:db8::1]:2222/?mode=dante&socks_port=1080"
                                   "&tunnel_user=phantom&hostkey=" +
                                       k_key_query + "&dante_host=127.0.0.1");
}

TEST_CASE("parse_invite(format_invite(x)) == x", "[invite]") {
    std::string every_printable;
    for (char c = 0x20; c < 0x7f; ++c) {
        every_printable += c;
    }
    const std::vector<std::string> passwords = {
        "p@ss:w/o%rd&=+ x",
        "@:/%&=+ ",
        "%41%",
        "a#b?c[d]e",
        "\"'\\`$(id)",
        "p\xc3\xa4ssw\xc3\xb6rd",
        every_printable,
        std::string(255, '%'),
        "+",
        " ",
    };
    const std::vector<std::string> hosts = {"vps.example.com", "203.0.113.7", "::1",
                                            "0:0::1",          "2001:DB8::1", "Example.COM"};
    std::size_t n = 0;
    for (const auto& password : passwords) {
        for (const auto& host : hosts) {
            Invite invite;
            invite.socks_user = n % 2 == 0 ? "alice" : "_a.b-c9";
            invite.password = password;
            invite.host = host;
            invite.ssh_port = static_cast<std::uint16_t>(1 + n * 977 % 65535);
            invite.mode = n % 3 == 0 ? Mode::direct : Mode::dante;
            invite.socks_port = static_cast<std::uint16_t>(65535 - n);
            invite.tunnel_user = n % 2 == 0 ? "phantom" : "tunnel-1";
            invite.host_key = k_key;
            invite.dante_host = n % 4 == 0 ? "dante" : (n % 4 == 1 ? "127.0.0.1" : "fd00::5");
            ++n;

            const std::string uri = format_invite(invite);
            CAPTURE(password, host, uri);
            const auto parsed = parse_invite(uri);
            REQUIRE(parsed.has_value());
            CHECK(same(*parsed, invite));
            // Nothing outside unreserved characters and the URI's own delimiters is left raw.
            CHECK(uri.find(' ') == std::string::npos);
            CHECK(uri.find('+') == std::string::npos);
        }
    }
}

TEST_CASE("a host name that looks like an IPvFuture literal round-trips", "[invite]") {
    // "v" HEXDIG "." … is IPvFuture syntax (RFC 3986 §3.2.2); found by the invite fuzzer.
    Invite invite;
    invite.socks_user = "alice";
    invite.password = "p@";
    invite.host = "vd.example.com";
    invite.ssh_port = 2;
    invite.host_key = k_key;
    const auto back = parse_invite(format_invite(invite));
    REQUIRE(back.has_value());
    CHECK(back->host == "vd.example.com");
}
