// SPDX-License-Identifier: MIT
// HTTP for the bridge: heads, targets, framing, hop-by-hop rewriting, and hostile input.
#include <phantom/bridge/http.hpp>
#include <phantom/sys/base64.hpp>

#include <string>

#include "catch.hpp"

using namespace phantom::bridge;

namespace {

RequestHead request(const std::string& text) {
    auto head = parse_request_head(text);
    REQUIRE(head.has_value());
    return *head;
}

int request_failure(const std::string& text, const HttpLimits& limits = {}) {
    auto head = parse_request_head(text, limits);
    REQUIRE_FALSE(head.has_value());
    return head.error().status;
}

} // namespace

TEST_CASE("a request head parses into method, target, version and fields", "[http]") {
    const auto head = request("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n"
                              "Proxy-Authorization:  Basic abc \r\nX-Empty:\r\n\r\n");
    CHECK(head.method == "CONNECT");
    CHECK(head.target == "api.example.com:443");
    CHECK(head.minor_version == 1);
    REQUIRE(head.headers.size() == 3);
    CHECK(*head.find("proxy-authorization") == "Basic abc"); // trimmed, case-insensitive name
    CHECK(head.find("x-empty")->empty());
    CHECK(head.find("absent") == nullptr);
    CHECK(request("GET http://a/ HTTP/1.0\r\n\r\n").minor_version == 0);
}

TEST_CASE("head_length finds the blank line; bare LF is spotted early", "[http]") {
    CHECK_FALSE(head_length("GET / HTTP/1.1\r\nHost: a\r\n").has_value());
    CHECK(head_length("GET / HTTP/1.1\r\n\r\nbody").value() == 18);
    CHECK(has_bare_line_feed("GET / HTTP/1.1\n"));
    CHECK(has_bare_line_feed("GET / HTTP/1.1\r\nA: b\n"));
    CHECK_FALSE(has_bare_line_feed("GET / HTTP/1.1\r\nA: b\r\n"));
    // A body after the head may hold anything.
    CHECK_FALSE(has_bare_line_feed("POST / HTTP/1.1\r\n\r\nline\nline\n"));
}

TEST_CASE("malformed request heads are refused with 400, 431 or 505", "[http]") {
    CHECK(request_failure("\r\n\r\n") == 400);                                     // empty request line
    CHECK(request_failure("GET  http://a/ HTTP/1.1\r\n\r\n") == 400);              // two spaces
    CHECK(request_failure("GET http://a/ HTTP/1.1 extra\r\n\r\n") == 400);         // three parts
    CHECK(request_failure("G(T http://a/ HTTP/1.1\r\n\r\n") == 400);               // method not a token
    CHECK(request_failure("GET http://a/\x01 HTTP/1.1\r\n\r\n") == 400);           // control in target
    CHECK(request_failure("GET http://a/ HTTP/2.0\r\n\r\n") == 505);               // version
    CHECK(request_failure("GET http://a/ http/1.1\r\n\r\n") == 505);               // case matters
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nA : b\r\n\r\n") == 400);      // space before colon
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nA: b\r\n c\r\n\r\n") == 400); // obs-fold
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nNoColon\r\n\r\n") == 400);
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nA: b\rc\r\n\r\n") == 400); // bare CR
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nA: b\x7f\r\n\r\n") == 400);
    CHECK(request_failure(std::string("GET http://a/ HTTP/1.1\r\nA: b\0c\r\n\r\n", 34)) == 400); // NUL
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nA: b\r\n") == 400); // unterminated
    std::string many = "GET http://a/ HTTP/1.1\r\n";
    for (int i = 0; i < 101; ++i) {
        many += "X-" + std::to_string(i) + ": v\r\n";
    }
    CHECK(request_failure(many + "\r\n") == 431);
    CHECK(request_failure("GET http://a/ HTTP/1.1\r\nA: " + std::string(100, 'x') + "\r\n\r\n",
                          HttpLimits{64, 10}) == 431);
}

TEST_CASE("CONNECT targets: host:port, IPv4, bracketed IPv6, nothing else", "[http]") {
    auto t = parse_connect_target("api.example.com:443");
    REQUIRE(t.has_value());
    CHECK(t->host == "api.example.com");
    CHECK(t->port == 443);
    CHECK(t->kind == Target::Kind::name);
    t = parse_connect_target("10.0.0.1:8443");
    REQUIRE(t.has_value());
    CHECK(t->kind == Target::Kind::ipv4);
    t = parse_connect_target("[2001:db8::1]:443");
    REQUIRE(t.has_value());
    CHECK(t->kind == Target::Kind::ipv6);
    CHECK(t->host == "2001:db8::1");
    CHECK(t->to_string() == "[2001:db8::1]:443");
    for (const char* bad :
         {"api.example.com", "api.example.com:", "api.example.com:0", "api.example.com:65536",
          "api.example.com:https", "user@api.example.com:443", "2001:db8::1:443", ":443", "[v1.x]:443",
          "a%2Fb:443", "api.example.com:443/path"}) {
        INFO(bad);
        CHECK_FALSE(parse_connect_target(bad).has_value());
    }
    CHECK_FALSE(parse_connect_target(std::string(256, 'a') + ":443").has_value()); // beyond SOCKS5's 255
}

TEST_CASE("absolute-form targets give the connection and the origin-form", "[http]") {
    auto p = parse_absolute_target("http://api.example.com/v1/x?q=1&r=%20");
    REQUIRE(p.has_value());
    CHECK(p->target.host == "api.example.com");
    CHECK(p->target.port == 80);
    CHECK(p->origin_form == "/v1/x?q=1&r=%20");
    p = parse_absolute_target("http://[::1]:8080");
    REQUIRE(p.has_value());
    CHECK(p->target.kind == Target::Kind::ipv6);
    CHECK(p->target.port == 8080);
    CHECK(p->origin_form == "/");
    auto https = parse_absolute_target("https://api.example.com/");
    REQUIRE_FALSE(https.has_value());
    CHECK(https.error().reason.find("CONNECT") != std::string::npos);
    auto origin = parse_absolute_target("/path");
    REQUIRE_FALSE(origin.has_value());
    CHECK(origin.error().reason.find("proxy") != std::string::npos);
    for (const char* bad : {"ftp://a/", "http://a/#fragment", "http://user:pw@a/", "http://a:99999/",
                            "http:///x", "http://a:0/", "x"}) {
        INFO(bad);
        CHECK_FALSE(parse_absolute_target(bad).has_value());
    }
}

TEST_CASE("proxy authorization: Basic with exactly the token", "[http]") {
    const std::string good = phantom::sys::base64_encode("phantom:s3cret");
    CHECK(
        proxy_authorized(request("GET http://a/ HTTP/1.1\r\nProxy-Authorization: Basic " + good + "\r\n\r\n"),
                         "phantom", "s3cret"));
    CHECK(
        proxy_authorized(request("GET http://a/ HTTP/1.1\r\nproxy-authorization: basic " + good + "\r\n\r\n"),
                         "phantom", "s3cret"));
    CHECK_FALSE(proxy_authorized(request("GET http://a/ HTTP/1.1\r\n\r\n"), "phantom", "s3cret"));
    CHECK_FALSE(proxy_authorized(
        request("GET http://a/ HTTP/1.1\r\nProxy-Authorization: Bearer " + good + "\r\n\r\n"), "phantom",
        "s3cret"));
    const std::string wrong = phantom::sys::base64_encode("phantom:s3cres");
    CHECK_FALSE(proxy_authorized(
        request("GET http://a/ HTTP/1.1\r\nProxy-Authorization: Basic " + wrong + "\r\n\r\n"), "phantom",
        "s3cret"));
    const std::string other_user = phantom::sys::base64_encode("admin:s3cret");
    CHECK_FALSE(proxy_authorized(
        request("GET http://a/ HTTP/1.1\r\nProxy-Authorization: Basic " + other_user + "\r\n\r\n"), "phantom",
        "s3cret"));
}

TEST_CASE("request framing refuses what could smuggle a second request", "[http]") {
    auto framing = [](const std::string& fields) {
        return request_framing(request("POST http://a/ HTTP/1.1\r\n" + fields + "\r\n"));
    };
    CHECK(framing("").value().kind == Framing::Kind::none);
    CHECK(framing("Content-Length: 0\r\n").value().kind == Framing::Kind::none);
    CHECK(framing("Content-Length: 12\r\n").value().length == 12);
    CHECK(framing("Content-Length: 12, 12\r\nContent-Length: 12\r\n").value().length == 12);
    CHECK(framing("Transfer-Encoding: chunked\r\n").value().kind == Framing::Kind::chunked);
    CHECK(framing("Transfer-Encoding: gzip, Chunked\r\n").value().kind == Framing::Kind::chunked);
    CHECK(framing("Content-Length: 12\r\nContent-Length: 13\r\n").error().status == 400);
    CHECK(framing("Content-Length: -1\r\n").error().status == 400);
    CHECK(framing("Content-Length: +1\r\n").error().status == 400);
    CHECK(framing("Content-Length: 99999999999999999999999\r\n").error().status == 400);
    CHECK(framing("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n").error().status == 400);
    CHECK(framing("Transfer-Encoding: chunked, gzip\r\n").error().status == 400);
    CHECK(framing("Transfer-Encoding: x-unknown, chunked\r\n").error().status == 501);
    CHECK(framing("Transfer-Encoding: ,\r\nContent-Length: 3\r\n").error().status == 400); // empty list
    CHECK(request_framing(request("POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"))
              .error()
              .status == 400);
}

TEST_CASE("response framing follows RFC 9112 section 6.3", "[http]") {
    auto framing = [](const std::string& text, const char* method = "GET") {
        auto head = parse_response_head(text);
        REQUIRE(head.has_value());
        return response_framing(*head, method);
    };
    CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").value().length == 5);
    CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD").value().kind ==
          Framing::Kind::none);
    CHECK(framing("HTTP/1.1 204 No Content\r\n\r\n").value().kind == Framing::Kind::none);
    CHECK(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").value().kind ==
          Framing::Kind::none);
    CHECK(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").value().kind ==
          Framing::Kind::chunked);
    CHECK(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").value().kind ==
          Framing::Kind::until_close);
    CHECK(framing("HTTP/1.0 200 OK\r\n\r\n").value().kind == Framing::Kind::until_close);
    auto bad = parse_response_head("HTTP/1.1 2000 OK\r\n\r\n");
    CHECK_FALSE(bad.has_value());
    CHECK_FALSE(parse_response_head("ICY 200 OK\r\n\r\n").has_value());
    CHECK(parse_response_head("HTTP/1.1 200\r\n\r\n").value().reason.empty());
}

TEST_CASE("forwarded heads lose hop-by-hop fields and carry the target's Host", "[http]") {
    const auto head =
        request("GET http://api.example.com:8080/a?b HTTP/1.1\r\nHost: wrong.example\r\n"
                "Proxy-Authorization: Basic xyz\r\nProxy-Connection: keep-alive\r\n"
                "Connection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: 5\r\n"
                "TE: trailers\r\nUpgrade: websocket\r\nAccept: */*\r\nContent-Length: 0\r\n\r\n");
    const auto target = parse_absolute_target(head.target).value();
    const std::string up = upstream_request_head(head, target);
    CHECK(up == "GET /a?b HTTP/1.1\r\nHost: api.example.com:8080\r\nAccept: */*\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n");

    auto response =
        parse_response_head("HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: t=5\r\n"
                            "Content-Length: 2\r\nServer: s\r\n\r\n")
            .value();
    CHECK(client_response_head(response, false, 1) ==
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: s\r\n\r\n");
    CHECK(client_response_head(response, true, 1) ==
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: s\r\nConnection: close\r\n\r\n");
    CHECK(client_response_head(response, false, 0).find("Connection: keep-alive\r\n") != std::string::npos);
    // Framed by Transfer-Encoding: a Content-Length beside it is not passed on (RFC 9112 §6.3).
    auto both =
        parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n")
            .value();
    CHECK(client_response_head(both, false, 1) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    // An HTTP/1.0 client cannot decode chunked: the bridge decodes it, the head says nothing of it.
    CHECK(client_response_head(both, true, 0) == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    CHECK(codings_for_http10(both));
    CHECK(codings_for_http10(response));
    CHECK_FALSE(codings_for_http10(
        parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").value()));
}

TEST_CASE("keep-alive: HTTP/1.1 by default, HTTP/1.0 only when asked", "[http]") {
    CHECK(client_keeps_alive(request("GET http://a/ HTTP/1.1\r\n\r\n")));
    CHECK_FALSE(client_keeps_alive(request("GET http://a/ HTTP/1.1\r\nConnection: Close\r\n\r\n")));
    CHECK_FALSE(client_keeps_alive(request("GET http://a/ HTTP/1.0\r\n\r\n")));
    CHECK(client_keeps_alive(request("GET http://a/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")));
}

TEST_CASE("bridge responses are complete and close the connection", "[http]") {
    const std::string r = bridge_response(407, "token required");
    CHECK(r.rfind("HTTP/1.1 407 Proxy Authentication Required\r\n", 0) == 0);
    CHECK(r.find("Proxy-Authenticate: Basic realm=\"phantom\"\r\n") != std::string::npos);
    CHECK(r.find("Connection: close\r\n") != std::string::npos);
    CHECK(r.find("Content-Length: 24\r\n") != std::string::npos);
    CHECK(r.substr(r.size() - 28) == "\r\n\r\nphantom: token required\n");
    CHECK(bridge_response(502, "x").find("Proxy-Authenticate") == std::string::npos);
}

TEST_CASE("body tracker: lengths, chunks with extensions and trailers, malformed chunks", "[http]") {
    BodyTracker length(Framing{Framing::Kind::length, 5});
    CHECK(length.consume("abc").value() == 3);
    CHECK_FALSE(length.done());
    CHECK(length.consume("deNEXT").value() == 2); // stops at the end of the body
    CHECK(length.done());

    const std::string chunked = "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\nGET next";
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, chunked.size()}) {
        INFO("fed " << step << " bytes at a time");
        BodyTracker body(Framing{Framing::Kind::chunked, 0});
        std::size_t used = 0;
        for (std::size_t at = 0; at < chunked.size() && !body.done(); at += step) {
            used += body.consume(std::string_view(chunked).substr(at, step)).value();
        }
        CHECK(body.done());
        CHECK(used == chunked.size() - std::string("GET next").size());
    }
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, chunked.size()}) {
        INFO("decoded, fed " << step << " bytes at a time");
        BodyTracker body(Framing{Framing::Kind::chunked, 0});
        std::string payload;
        for (std::size_t at = 0; at < chunked.size() && !body.done(); at += step) {
            body.consume(std::string_view(chunked).substr(at, step), &payload).value();
        }
        CHECK(payload == "Wikipedia");
    }
    for (const char* bad : {"x\r\n", "4\r\nWikiXX", "4\nWiki\r\n", "-1\r\n", "1234567890abcdef0\r\n"}) {
        INFO(bad);
        BodyTracker body(Framing{Framing::Kind::chunked, 0});
        CHECK_FALSE(body.consume(bad).has_value());
    }
    BodyTracker until_close(Framing{Framing::Kind::until_close, 0});
    CHECK(until_close.consume("anything").value() == 8);
    CHECK_FALSE(until_close.done());
    CHECK(until_close.until_close());
    CHECK(BodyTracker(Framing{}).done());
}
