// SPDX-License-Identifier: MIT
// The local bridge: one loopback port speaking HTTP proxy and SOCKS5, forwarding by name
// through the tunnel's SOCKS port.
#include <phantom/bridge/listener.hpp>
#include <phantom/bridge/socks5.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/base64.hpp>
#include <phantom/tunnel/probe.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <thread>

namespace phantom::bridge {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// Large enough that a 1 GiB transfer is not syscall-bound, small enough that 256
// connections stay in a few tens of MiB (two per connection, one per direction).
constexpr std::size_t k_relay_buffer = 32 * 1024;
constexpr std::string_view k_user = "phantom";
constexpr std::size_t k_max_response_head = 64 * 1024;

/// What went wrong opening the upstream path, for both kinds of client.
struct UpstreamFailure {
    Failure kind = Failure::upstream_error;
    std::string cause;
    int http_status = 502;
    socks5::Reply socks_reply = socks5::Reply::general_failure;
};

Failure failure_of(socks5::Reply reply) {
    switch (reply) {
    case socks5::Reply::not_allowed:
        return Failure::forbidden;
    case socks5::Reply::network_unreachable:
    case socks5::Reply::host_unreachable:
        return Failure::unreachable;
    case socks5::Reply::connection_refused:
        return Failure::refused;
    case socks5::Reply::ttl_expired:
        return Failure::timeout;
    default:
        return Failure::upstream_error;
    }
}

// Built outside co_await expressions: GCC 12 miscompiles braced temporaries there.
std::string method_choice(std::uint8_t method) {
    return std::string{static_cast<char>(socks5::k_version), static_cast<char>(method)};
}

std::string password_verdict(bool ok) {
    return std::string{1, static_cast<char>(ok ? 0 : 1)};
}

} // namespace

std::string_view failure_name(Failure failure) {
    switch (failure) {
    case Failure::proxy_auth:
        return "proxy_auth";
    case Failure::bad_request:
        return "bad_request";
    case Failure::tunnel_down:
        return "tunnel_down";
    case Failure::upstream_auth:
        return "upstream_auth";
    case Failure::forbidden:
        return "forbidden";
    case Failure::unreachable:
        return "unreachable";
    case Failure::refused:
        return "refused";
    case Failure::timeout:
        return "timeout";
    case Failure::internal:
        return "internal";
    case Failure::upstream_error:
    case Failure::count_:
        break;
    }
    return "upstream_error";
}

struct Listener::Impl {
    ListenerOptions options;
    EventSink sink;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    asio::steady_timer slot_freed{io};
    Counters counters;
    std::atomic<bool> credentials_rejected{false};
    std::thread thread;
    bool limit_logged = false;

    /// One client connection and, once opened, its upstream. Shared by the coroutines that
    /// serve it and its watchdog; closing both sockets ends them all.
    struct Connection : std::enable_shared_from_this<Connection> {
        tcp::socket client;
        tcp::socket upstream;
        asio::steady_timer watchdog;
        std::chrono::steady_clock::time_point deadline;
        std::string client_buffer;   ///< read from the client, not yet consumed
        std::string upstream_buffer; ///< read from upstream, not yet consumed
        bool closed = false;
        bool opening_upstream = false; ///< the watchdog then closes only the upstream
        bool upstream_timed_out = false;
        bool body_done = true;
        bool finished = false; ///< counted out and its slot given back (finish() ran)
        int pumps = 0;         ///< relay directions still running

        Connection(tcp::socket socket, asio::any_io_executor ex)
            : client(std::move(socket)), upstream(ex), watchdog(ex) {}

        /// Moves the deadline; wakes the watchdog only when it must fire earlier than armed
        /// (a shorter idle timeout after the handshake), not on every byte.
        void touch(std::chrono::seconds allowance) {
            deadline = std::chrono::steady_clock::now() + allowance;
            if (deadline < watchdog.expiry()) {
                watchdog.cancel();
            }
        }
        void close() {
            closed = true;
            boost::system::error_code ignored;
            client.close(ignored);
            upstream.close(ignored);
            watchdog.cancel();
        }
    };
    using ConnectionPtr = std::shared_ptr<Connection>;

    /// A tunnel connection opened and greeted (in dante mode also logged in) before a client
    /// needs it, so the next request goes out at once: that saves the connect and a round
    /// trip to the tunnel, and in dante mode two round trips to the server. At most one, made
    /// after the tunnel answered a request; dropped when the tunnel closes it or after
    /// options.spare_lifetime, and then not replaced until the next request.
    ConnectionPtr spare;
    bool spare_opening = false;

    /// Never throws: a log that cannot be written (the sink throws) must not end the accept
    /// loop (a detached coroutine would die silently and the bridge stop accepting) or a
    /// connection half-way through its reply.
    void log(std::string_view level, std::string_view event, std::string_view detail) noexcept {
        if (sink) {
            try {
                sink(level, event, detail);
            } catch (...) {
                count(Failure::internal);
            }
        }
    }

    void count(Failure f) { ++counters.failures[static_cast<std::size_t>(f)]; }

    awaitable<void> watch(ConnectionPtr self) {
        Connection& c = *self;
        while (!c.closed) {
            c.watchdog.expires_at(c.deadline);
            co_await c.watchdog.async_wait(nothrow);
            if (!c.closed && std::chrono::steady_clock::now() >= c.deadline) {
                if (c.opening_upstream) {
                    // Only the upstream gave up: the client still gets its 504.
                    c.upstream_timed_out = true;
                    c.opening_upstream = false;
                    boost::system::error_code ignored;
                    c.upstream.close(ignored);
                    c.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
                    continue;
                }
                c.close();
            }
        }
    }

    /// Reads more bytes from `socket` into `buffer`; false on EOF or error.
    static awaitable<bool> read_more(tcp::socket& socket, std::string& buffer, Connection& c,
                                     std::chrono::seconds allowance) {
        std::array<char, 16 * 1024> chunk{};
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), nothrow);
        if (ec || n == 0) {
            co_return false;
        }
        buffer.append(chunk.data(), n);
        c.touch(allowance);
        co_return true;
    }

    static awaitable<bool> send(tcp::socket& socket, std::string_view data) {
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(data), nothrow);
        co_return !ec;
    }

    /// Reads a SOCKS message from the front of `buffer` with `parse`, reading more as needed.
    template <class Parse>
    static awaitable<std::invoke_result_t<Parse, std::string_view>>
    read_message(tcp::socket& socket, std::string& buffer, Connection& c, std::chrono::seconds allowance,
                 Parse parse) {
        for (;;) {
            auto parsed = parse(std::string_view(buffer));
            using Status = typename decltype(parsed)::Status;
            if (parsed.status != Status::incomplete) {
                if (parsed.status == Status::complete) {
                    buffer.erase(0, parsed.size);
                }
                co_return parsed;
            }
            // No co_await inside || or &&: GCC 12 corrupts the coroutine frame there.
            bool more = buffer.size() <= 1024;
            if (more) {
                more = co_await read_more(socket, buffer, c, allowance);
            }
            if (!more) {
                parsed.status = Status::invalid;
                parsed.error = "connection closed during the SOCKS exchange";
                co_return parsed;
            }
        }
    }

    /// Sends `message` to the tunnel and reads its answer with `parse` (invalid when either fails).
    template <class Parse>
    awaitable<std::invoke_result_t<Parse, std::string_view>> ask(Connection& c, const std::string& message,
                                                                 Parse parse) {
        if (!co_await send(c.upstream, message)) {
            std::invoke_result_t<Parse, std::string_view> failed;
            failed.status = decltype(failed)::Status::invalid;
            co_return failed;
        }
        auto answer =
            co_await read_message(c.upstream, c.upstream_buffer, c, options.handshake_timeout, parse);
        co_return answer;
    }

    /// Connects to the tunnel and asks it, by name, for `target`. On success the upstream
    /// socket is ready for relaying (bytes the destination already sent are in upstream_buffer).
    awaitable<std::optional<UpstreamFailure>> open_upstream(Connection& c, const Target& target) {
        c.opening_upstream = true;
        auto failure = co_await negotiate_upstream(c, target);
        c.opening_upstream = false;
        co_return failure;
    }

    awaitable<std::optional<UpstreamFailure>> negotiate_upstream(Connection& c, const Target& target) {
        c.touch(options.handshake_timeout);
        if (!take_spare(c)) {
            auto failure = co_await greet_upstream(c);
            if (failure) {
                co_return failure;
            }
        }
        auto failure = co_await request_upstream(c, target);
        co_return failure;
    }

    /// The failure of a tunnel connection that closed or fell silent before it answered.
    static UpstreamFailure lost(const Connection& c, std::chrono::seconds handshake_timeout) {
        const bool late = c.upstream_timed_out;
        return UpstreamFailure{
            late ? Failure::timeout : Failure::tunnel_down,
            late ? fmt::format("no answer through the tunnel within {} s", handshake_timeout.count())
                 : std::string("the tunnel closed the connection (server unreachable?)"),
            late ? 504 : 503, late ? socks5::Reply::ttl_expired : socks5::Reply::general_failure};
    }

    /// Connects to the tunnel's port and completes the SOCKS greeting (and, in dante mode,
    /// the member's login): what precedes a request, and all a spare connection does.
    awaitable<std::optional<UpstreamFailure>> greet_upstream(Connection& c) {
        const tcp::endpoint tunnel(asio::ip::address_v4::loopback(), options.tunnel_port);
        auto [ec] = co_await c.upstream.async_connect(tunnel, nothrow);
        if (ec && c.upstream_timed_out) {
            co_return UpstreamFailure{Failure::timeout,
                                      fmt::format("the tunnel's port did not accept within {} s",
                                                  options.handshake_timeout.count()),
                                      504, socks5::Reply::ttl_expired};
        }
        if (ec) {
            co_return UpstreamFailure{
                Failure::tunnel_down,
                fmt::format("the tunnel is down (127.0.0.1:{}: {}); `phantom status` says why",
                            options.tunnel_port, ec.message()),
                503, socks5::Reply::general_failure};
        }
        boost::system::error_code ignored;
        c.upstream.set_option(tcp::no_delay(true), ignored);
        // One message at a time, each sent only after the previous answer: sshd forwards
        // without TCP_NODELAY (no tty), so it holds each answer after the first until the
        // one before is acknowledged, and an idle ssh client acknowledges 40 ms late. Our
        // next message carries that acknowledgement. Measured on the test topology: a curl
        // CONNECT through the bridge took 64 ms pipelined, 29 ms like this (28 ms with curl
        // speaking SOCKS to the tunnel itself).
        const bool with_password = options.tunnel_credentials.has_value();
        const std::string greeting = socks5::client_greeting(with_password);
        auto method = co_await ask(c, greeting, socks5::parse_method_selection);
        if (method.status != decltype(method)::Status::complete) {
            co_return lost(c, options.handshake_timeout);
        }
        if (method.value != (with_password ? socks5::k_method_password : socks5::k_method_none)) {
            co_return UpstreamFailure{
                Failure::upstream_auth,
                with_password ? "the server does not accept member passwords (is it in direct mode?)"
                              : "the server wants a member password (set [tunnel] mode = \"dante\")",
                502, socks5::Reply::general_failure};
        }
        if (with_password) {
            const std::string login = socks5::client_password_request(options.tunnel_credentials->first,
                                                                      options.tunnel_credentials->second);
            auto status = co_await ask(c, login, socks5::parse_password_status);
            if (status.status != decltype(status)::Status::complete) {
                co_return lost(c, options.handshake_timeout);
            }
            if (!status.value) {
                co_return UpstreamFailure{Failure::upstream_auth, "the server refused your member password",
                                          502, socks5::Reply::not_allowed};
            }
        }
        co_return std::nullopt;
    }

    /// Asks the greeted tunnel connection for `target`, by name.
    awaitable<std::optional<UpstreamFailure>> request_upstream(Connection& c, const Target& target) {
        const std::string request = socks5::client_connect(target);
        auto reply = co_await ask(c, request, socks5::parse_reply);
        if (reply.status != decltype(reply)::Status::complete) {
            co_return lost(c, options.handshake_timeout);
        }
        // The tunnel answers: have the next connection ready.
        prepare_spare();
        if (reply.value != socks5::Reply::succeeded) {
            UpstreamFailure f{failure_of(reply.value), std::string(socks5::describe(reply.value)),
                              socks5::http_status(reply.value), reply.value};
            // Dante checks the password only now, and answers "not allowed" for both a wrong
            // password and a forbidden destination; the daemon's probe tells them apart.
            if (reply.value == socks5::Reply::not_allowed && credentials_rejected.load()) {
                f.kind = Failure::upstream_auth;
                f.cause = "the server refused your member password";
            }
            co_return f;
        }
        co_return std::nullopt;
    }

    /// Moves the spare's greeted socket into `c`; false when there is none.
    bool take_spare(Connection& c) {
        if (!spare) {
            return false;
        }
        const ConnectionPtr s = std::exchange(spare, nullptr);
        counters.spares = 0;
        if (s->closed) {
            return false; // expired a moment ago: keep_spare has not seen it yet
        }
        boost::system::error_code ignored;
        s->upstream.cancel(ignored); // ends keep_spare's wait before the socket moves
        c.upstream = std::move(s->upstream);
        c.upstream_buffer = std::move(s->upstream_buffer);
        s->close();
        return true;
    }

    /// Starts greeting a spare tunnel connection unless one is ready or on its way.
    void prepare_spare() {
        if (options.spare_lifetime.count() <= 0 || spare || spare_opening || !acceptor.is_open()) {
            return;
        }
        spare_opening = true;
        auto s = std::make_shared<Connection>(tcp::socket(io), io.get_executor());
        asio::co_spawn(io, keep_spare(s), [this, s](const std::exception_ptr& error) {
            if (error) {
                count(Failure::internal);
                spare_opening = false;
                if (spare == s) {
                    spare.reset();
                    counters.spares = 0;
                }
                s->close();
            }
        });
    }

    /// Greets the spare `self`, offers it until it is taken, the tunnel closes it or its
    /// lifetime ends (the watchdog closes it then), and drops it.
    awaitable<void> keep_spare(ConnectionPtr self) {
        Connection& s = *self;
        s.deadline = std::chrono::steady_clock::now() + options.handshake_timeout;
        asio::co_spawn(io, watch(self), asio::detached);
        s.opening_upstream = true;
        auto failure = co_await greet_upstream(s);
        s.opening_upstream = false;
        spare_opening = false;
        if (failure || s.closed) {
            s.close(); // a real request will meet and report the same failure
            co_return;
        }
        s.touch(options.spare_lifetime);
        spare = self;
        counters.spares = 1;
        // Readable before any request means closed by the tunnel (ssh restarted, the server
        // gave up on it); aborted means taken or expired.
        co_await s.upstream.async_wait(tcp::socket::wait_read, nothrow);
        if (spare == self) {
            spare.reset();
            counters.spares = 0;
        }
        s.close();
    }

    void report(const UpstreamFailure& f, const Target& target) {
        // The check target (tunnel/probe.hpp) of connect's and doctor's checks through the
        // bridge fails by design: it is never a real destination, so neither counted nor logged.
        if (target.host == tunnel::k_check_host && target.port == tunnel::k_check_port) {
            return;
        }
        count(f.kind);
        log("warn", "bridge", fmt::format("{}: {}", target.to_string(), f.cause));
    }

    /// Completion of a relay direction. An exception (asio::detached would drop it) ends the
    /// direction as an error would: the connection is finished once both are done.
    auto pump_done(ConnectionPtr self) {
        return [this, self](const std::exception_ptr& error) {
            if (error) {
                count(Failure::internal);
                self->close();
                if (--self->pumps == 0) {
                    finish(*self);
                }
            }
        };
    }

    /// One direction of a relay: `from` to `to`, one buffer at a time (so a slow reader
    /// slows the writer: nothing is buffered beyond it); EOF becomes a half-close. The last
    /// of the two directions to end closes the connection.
    awaitable<void> pump(ConnectionPtr self, tcp::socket& from, tcp::socket& to,
                         std::atomic<std::uint64_t>& bytes) {
        Connection& c = *self;
        std::vector<char> buffer(k_relay_buffer);
        for (;;) {
            auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer), nothrow);
            if (ec) {
                boost::system::error_code ignored;
                if (ec == asio::error::eof && !c.closed) {
                    to.shutdown(tcp::socket::shutdown_send, ignored);
                } else {
                    c.close();
                }
                break;
            }
            c.touch(options.idle_timeout);
            auto [wec, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n), nothrow);
            if (wec) {
                c.close();
                break;
            }
            bytes += written;
            c.touch(options.idle_timeout);
        }
        if (--c.pumps == 0) {
            finish(c);
        }
    }

    /// Sends what each side already sent ahead, then relays both ways until both are closed
    /// (the pumps finish the connection; serve_and_close leaves it to them).
    awaitable<void> relay(Connection& c) {
        if (!c.client_buffer.empty()) {
            counters.bytes_up += c.client_buffer.size();
            const std::string ahead = std::exchange(c.client_buffer, {});
            if (!co_await send(c.upstream, ahead)) {
                co_return;
            }
        }
        if (!c.upstream_buffer.empty()) {
            counters.bytes_down += c.upstream_buffer.size();
            const std::string ahead = std::exchange(c.upstream_buffer, {});
            if (!co_await send(c.client, ahead)) {
                co_return;
            }
        }
        c.touch(options.idle_timeout);
        // Two coroutines rather than `co_await (a && b)`: GCC 12 miscompiles the awaitable
        // operators (the frame executes an invalid instruction).
        c.pumps = 2;
        const ConnectionPtr self = c.shared_from_this();
        asio::co_spawn(c.client.get_executor(), pump(self, c.client, c.upstream, counters.bytes_up),
                       pump_done(self));
        asio::co_spawn(c.client.get_executor(), pump(self, c.upstream, c.client, counters.bytes_down),
                       pump_done(self));
    }

    /// The end of a connection: closed, counted out, its slot given to a waiting accept
    /// (idempotent).
    void finish(Connection& c) {
        if (c.finished) {
            return;
        }
        c.finished = true;
        c.close();
        --counters.active;
        slot_freed.cancel_one();
    }

    awaitable<void> serve_socks(Connection& c) {
        const auto allowance = options.handshake_timeout;
        auto greeting =
            co_await read_message(c.client, c.client_buffer, c, allowance, socks5::parse_greeting);
        if (greeting.status != decltype(greeting)::Status::complete) {
            count(Failure::bad_request);
            co_return;
        }
        const auto& methods = greeting.value;
        if (std::find(methods.begin(), methods.end(), socks5::k_method_password) == methods.end()) {
            count(Failure::proxy_auth);
            log("warn", "bridge", "SOCKS client without username/password refused (the token is required)");
            const std::string refusal = method_choice(socks5::k_method_unacceptable);
            co_await send(c.client, refusal);
            co_return;
        }
        const std::string choice = method_choice(socks5::k_method_password);
        if (!co_await send(c.client, choice)) {
            co_return;
        }
        auto credentials =
            co_await read_message(c.client, c.client_buffer, c, allowance, socks5::parse_password_request);
        if (credentials.status != decltype(credentials)::Status::complete) {
            count(Failure::bad_request);
            co_return;
        }
        const bool ok = credentials.value.user == k_user &&
                        sys::constant_time_equal(credentials.value.password, options.token);
        const std::string verdict = password_verdict(ok);
        co_await send(c.client, verdict);
        if (!ok) {
            count(Failure::proxy_auth);
            log("warn", "bridge", "SOCKS client with a wrong token refused");
            co_return;
        }
        auto request = co_await read_message(c.client, c.client_buffer, c, allowance, socks5::parse_request);
        if (request.status != decltype(request)::Status::complete) {
            count(Failure::bad_request);
            if (request.value.address_type_unknown) {
                const std::string answer = socks5::reply(socks5::Reply::address_type_not_supported);
                co_await send(c.client, answer);
            }
            co_return;
        }
        if (request.value.command != socks5::k_cmd_connect) {
            count(Failure::bad_request);
            const std::string answer = socks5::reply(socks5::Reply::command_not_supported);
            co_await send(c.client, answer);
            co_return;
        }
        const Target target = request.value.target;
        if (const auto failure = co_await open_upstream(c, target)) {
            report(*failure, target);
            const std::string answer = socks5::reply(failure->socks_reply);
            co_await send(c.client, answer);
            co_return;
        }
        const std::string success = socks5::reply(socks5::Reply::succeeded);
        if (!co_await send(c.client, success)) {
            co_return;
        }
        co_await relay(c);
    }

    /// Answers `status` with `cause` and counts the failure, unless `counted` is false.
    awaitable<void> refuse(Connection& c, Failure kind, int status, std::string_view cause,
                           bool counted = true) {
        if (counted) {
            count(kind);
        }
        const std::string answer = bridge_response(status, cause);
        co_await send(c.client, answer);
    }

    /// Reads one request head from the client; nullopt after answering an error (or on EOF).
    awaitable<std::optional<RequestHead>> read_request(Connection& c, bool first) {
        c.touch(first ? options.handshake_timeout : options.idle_timeout);
        const auto head_deadline = c.deadline;
        std::optional<std::size_t> length;
        while (!(length = head_length(c.client_buffer))) {
            if (has_bare_line_feed(c.client_buffer)) {
                co_await refuse(c, Failure::bad_request, 400, "request lines must end with CRLF");
                co_return std::nullopt;
            }
            if (c.client_buffer.size() > options.limits.max_head_bytes) {
                co_await refuse(c, Failure::bad_request, 431, "request head too large");
                co_return std::nullopt;
            }
            if (!co_await read_more(c.client, c.client_buffer, c, options.handshake_timeout)) {
                if (c.closed && first) {
                    count(Failure::bad_request);
                }
                co_return std::nullopt;
            }
            // One deadline for the whole head: a byte now and then must not hold a slot.
            c.deadline = head_deadline;
        }
        auto head = parse_request_head(std::string_view(c.client_buffer).substr(0, *length), options.limits);
        c.client_buffer.erase(0, *length);
        if (!head) {
            // error() returns a copy: a named one, not a temporary inside co_await (GCC 12).
            const HttpFailure failure = head.error();
            log("warn", "bridge", fmt::format("bad request: {}", failure.reason));
            co_await refuse(c, Failure::bad_request, failure.status, failure.reason);
            co_return std::nullopt;
        }
        if (!proxy_authorized(*head, k_user, options.token)) {
            // `phantom doctor` sends the check target without the token to see it refused.
            const bool check =
                head->method == "CONNECT" &&
                head->target == fmt::format("{}:{}", tunnel::k_check_host, tunnel::k_check_port);
            if (!check) {
                log("warn", "bridge", "HTTP client without the token refused");
            }
            co_await refuse(c, Failure::proxy_auth, 407,
                            "proxy authentication required: run the command through `phantom`, which sets it",
                            !check);
            co_return std::nullopt;
        }
        co_return std::optional<RequestHead>(std::move(*head));
    }

    awaitable<void> serve_connect(Connection& c, const RequestHead& head) {
        auto target = parse_connect_target(head.target);
        if (!target) {
            const HttpFailure failure = target.error();
            co_await refuse(c, Failure::bad_request, failure.status, failure.reason);
            co_return;
        }
        if (const auto failure = co_await open_upstream(c, *target)) {
            report(*failure, *target);
            const std::string answer = bridge_response(
                failure->http_status, fmt::format("{}: {}", target->to_string(), failure->cause));
            co_await send(c.client, answer);
            co_return;
        }
        if (!co_await send(c.client, "HTTP/1.1 200 Connection established\r\n\r\n")) {
            co_return;
        }
        co_await relay(c);
    }

    /// Relays a request body from the client (what is buffered, then more) as framed.
    awaitable<void> pump_request_body(ConnectionPtr self, Framing framing) {
        Connection& c = *self;
        BodyTracker body(framing);
        c.body_done = body.done();
        while (!body.done()) {
            if (c.client_buffer.empty()) {
                if (!co_await read_more(c.client, c.client_buffer, c, options.idle_timeout)) {
                    co_return;
                }
            }
            const auto take = body.consume(c.client_buffer);
            if (!take) {
                c.close();
                co_return;
            }
            const std::string chunk = c.client_buffer.substr(0, *take);
            c.client_buffer.erase(0, *take);
            counters.bytes_up += chunk.size();
            if (!co_await send(c.upstream, chunk)) {
                co_return;
            }
        }
        c.body_done = true;
    }

    /// Relays the response to one forwarded request; returns whether the client connection
    /// may carry another request.
    awaitable<bool> pump_response(Connection& c, const RequestHead& request, bool keep_alive) {
        for (;;) {
            std::optional<std::size_t> length;
            while (!(length = head_length(c.upstream_buffer))) {
                bool more = c.upstream_buffer.size() <= k_max_response_head;
                if (more) {
                    more = co_await read_more(c.upstream, c.upstream_buffer, c, options.idle_timeout);
                }
                if (!more) {
                    co_await refuse(c, Failure::upstream_error, 502,
                                    "the server closed the connection without a complete response");
                    co_return false;
                }
            }
            auto head = parse_response_head(std::string_view(c.upstream_buffer).substr(0, *length),
                                            HttpLimits{k_max_response_head, options.limits.max_headers});
            c.upstream_buffer.erase(0, *length);
            if (!head) {
                const HttpFailure failure = head.error();
                co_await refuse(c, Failure::upstream_error, 502, failure.reason);
                co_return false;
            }
            if (head->status == 101) {
                co_await refuse(c, Failure::upstream_error, 502, "the server switched protocols unasked");
                co_return false;
            }
            if (head->status < 200) {
                // Interim responses (100 Continue, 103 Early Hints) pass through, except to
                // an HTTP/1.0 client, which cannot take them (RFC 9110 §15.2).
                if (request.minor_version == 0) {
                    continue;
                }
                const std::string interim = client_response_head(*head, false, 1);
                if (!co_await send(c.client, interim)) {
                    co_return false;
                }
                continue;
            }
            auto framing = response_framing(*head, request.method);
            if (!framing) {
                const HttpFailure failure = framing.error();
                co_await refuse(c, Failure::upstream_error, 502, failure.reason);
                co_return false;
            }
            // An HTTP/1.0 client gets a chunked body decoded and ended by close.
            const bool dechunk = request.minor_version == 0 && framing->kind == Framing::Kind::chunked;
            if (request.minor_version == 0 && !codings_for_http10(*head)) {
                co_await refuse(c, Failure::upstream_error, 502,
                                "the server used a transfer coding an HTTP/1.0 client cannot decode");
                co_return false;
            }
            // A response that comes before the client finished its body ends the connection:
            // say so, rather than let the client send another request on it.
            const bool close =
                !keep_alive || framing->kind == Framing::Kind::until_close || !c.body_done || dechunk;
            const std::string response = client_response_head(*head, close, request.minor_version);
            if (!co_await send(c.client, response)) {
                co_return false;
            }
            BodyTracker body(*framing);
            while (!body.done()) {
                if (c.upstream_buffer.empty()) {
                    if (!co_await read_more(c.upstream, c.upstream_buffer, c, options.idle_timeout)) {
                        // EOF ends a close-delimited body; anything else was cut short.
                        co_return false;
                    }
                }
                std::string payload;
                const auto take = body.consume(c.upstream_buffer, dechunk ? &payload : nullptr);
                if (!take) {
                    co_return false;
                }
                const std::string chunk = dechunk ? std::move(payload) : c.upstream_buffer.substr(0, *take);
                c.upstream_buffer.erase(0, *take);
                counters.bytes_down += chunk.size();
                if (!chunk.empty() && !co_await send(c.client, chunk)) {
                    co_return false;
                }
            }
            co_return !close;
        }
    }

    /// Absolute-form requests: each over a new upstream connection, the client's kept alive.
    awaitable<void> serve_forward(Connection& c, const RequestHead& first) {
        RequestHead head = first;
        for (;;) {
            auto target = parse_absolute_target(head.target);
            if (!target) {
                const HttpFailure failure = target.error();
                co_await refuse(c, Failure::bad_request, failure.status, failure.reason);
                co_return;
            }
            auto framing = request_framing(head);
            if (!framing) {
                const HttpFailure failure = framing.error();
                co_await refuse(c, Failure::bad_request, failure.status, failure.reason);
                co_return;
            }
            if (const auto failure = co_await open_upstream(c, target->target)) {
                report(*failure, target->target);
                const std::string answer = bridge_response(
                    failure->http_status, fmt::format("{}: {}", target->target.to_string(), failure->cause));
                co_await send(c.client, answer);
                co_return;
            }
            // From here the server may take its time: the idle timeout, not the handshake's.
            c.touch(options.idle_timeout);
            const std::string request = upstream_request_head(head, *target);
            if (!co_await send(c.upstream, request)) {
                co_await refuse(c, Failure::tunnel_down, 503, "the tunnel closed the connection");
                co_return;
            }
            c.body_done = false;
            // The body goes up while the response comes down: a server may answer early
            // (413, or 100 Continue that the client waits for before sending the body).
            const ConnectionPtr self = c.shared_from_this();
            asio::co_spawn(c.client.get_executor(), pump_request_body(self, *framing), asio::detached);
            const bool again = co_await pump_response(c, head, client_keeps_alive(head));
            if (!c.body_done) {
                // Answered before the client finished its body (413, an early error): the
                // body's pump still reads from the client, so nothing else may; close.
                c.close();
            }
            if (!again || c.closed) {
                co_return;
            }
            boost::system::error_code ignored;
            c.upstream.close(ignored);
            c.upstream_buffer.clear();
            auto next = co_await read_request(c, false);
            if (!next) {
                co_return;
            }
            if (next->method == "CONNECT") {
                co_await serve_connect(c, *next);
                co_return;
            }
            head = std::move(*next);
        }
    }

    awaitable<void> serve(Connection& c) {
        c.touch(options.handshake_timeout);
        const ConnectionPtr self = c.shared_from_this();
        asio::co_spawn(c.client.get_executor(), watch(self), asio::detached);
        if (!co_await read_more(c.client, c.client_buffer, c, options.handshake_timeout)) {
            co_return;
        }
        if (static_cast<std::uint8_t>(c.client_buffer.front()) == socks5::k_version) {
            co_await serve_socks(c);
            co_return;
        }
        auto head = co_await read_request(c, true);
        if (!head) {
            co_return;
        }
        if (head->method == "CONNECT") {
            co_await serve_connect(c, *head);
        } else {
            co_await serve_forward(c, *head);
        }
    }

    awaitable<void> serve_and_close(ConnectionPtr self) {
        Connection& c = *self;
        co_await serve(c);
        if (c.pumps > 0) {
            co_return; // relaying: the pumps finish it
        }
        if (!c.closed) {
            // Let the last reply reach the client: closing with unread input (a body sent
            // after a refused request) makes the kernel send a reset, which can destroy the
            // reply in flight. Half-close, then drain briefly until the client closes too.
            boost::system::error_code ignored;
            c.upstream.close(ignored);
            c.client.shutdown(tcp::socket::shutdown_send, ignored);
            c.client_buffer.clear();
            c.touch(std::chrono::seconds(2));
            const auto drain_deadline = c.deadline;
            while (co_await read_more(c.client, c.client_buffer, c, std::chrono::seconds(2))) {
                c.client_buffer.clear();
                c.deadline = drain_deadline; // at most 2 s in all, however slowly it trickles
            }
        }
        finish(c);
    }

    awaitable<void> accept_loop() {
        for (;;) {
            while (counters.active.load() >= options.max_connections) {
                if (!limit_logged) {
                    limit_logged = true;
                    log("warn", "bridge",
                        fmt::format("{} connections open (the limit): new ones wait",
                                    options.max_connections));
                }
                slot_freed.expires_at(std::chrono::steady_clock::time_point::max());
                co_await slot_freed.async_wait(nothrow);
                if (!acceptor.is_open()) {
                    co_return;
                }
            }
            auto [ec, socket] = co_await acceptor.async_accept(nothrow);
            if (!acceptor.is_open()) {
                co_return;
            }
            if (ec) {
                // EMFILE and friends: wait a little rather than spin.
                log("warn", "bridge", fmt::format("accept failed: {}", ec.message()));
                asio::steady_timer pause(io, std::chrono::milliseconds(100));
                co_await pause.async_wait(nothrow);
                continue;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            ++counters.active;
            ++counters.total;
            auto c = std::make_shared<Connection>(std::move(socket), io.get_executor());
            // Not asio::detached: it drops an exception that escapes serving (bad_alloc, a
            // bug), and the connection's slot would never come back.
            asio::co_spawn(io, serve_and_close(c), [this, c](const std::exception_ptr& error) {
                if (error) {
                    count(Failure::internal);
                    if (c->pumps == 0) {
                        finish(*c);
                    }
                }
            });
        }
    }
};

Listener::Listener(ListenerOptions options, EventSink sink) : m_impl(std::make_unique<Impl>()) {
    m_impl->options = std::move(options);
    m_impl->sink = std::move(sink);
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), m_impl->options.port);
    boost::system::error_code ec;
    m_impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        m_impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        m_impl->acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        m_impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
#if defined(TCP_DEFER_ACCEPT)
    if (!ec) {
        // Both protocols have the client speak first: accept once its first bytes are in,
        // one wake-up instead of two (accept, then read). The kernel accepts a silent client
        // after a second anyway. Linux only; elsewhere accept() wakes at once.
        const int seconds = 1;
        ::setsockopt(m_impl->acceptor.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds,
                     sizeof seconds);
    }
#endif
    if (ec) {
        throw Error(fmt::format("cannot listen on 127.0.0.1:{} for the bridge: {}", m_impl->options.port,
                                ec.message()),
                    "set another [tunnel] bridge_port in ~/.phantom/config (0 picks a free one)");
    }
}

Listener::~Listener() {
    stop();
}

std::uint16_t Listener::port() const noexcept {
    boost::system::error_code ec;
    const auto endpoint = m_impl->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

const Counters& Listener::counters() const noexcept {
    return m_impl->counters;
}

void Listener::set_credentials_rejected(bool rejected) noexcept {
    m_impl->credentials_rejected = rejected;
}

void Listener::start() {
    if (m_impl->thread.joinable()) {
        return;
    }
    asio::co_spawn(m_impl->io, m_impl->accept_loop(), asio::detached);
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->io.run(); });
}

void Listener::stop() {
    if (!m_impl || !m_impl->thread.joinable()) {
        return;
    }
    asio::post(m_impl->io, [impl = m_impl.get()] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
        impl->slot_freed.cancel();
        impl->io.stop();
    });
    m_impl->thread.join();
}

} // namespace phantom::bridge
