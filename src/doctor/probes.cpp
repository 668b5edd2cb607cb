// SPDX-License-Identifier: MIT
// Doctor's probes of the real machine: processes, ports, programs, names and connections,
// each bounded in time so that doctor answers within seconds whatever the network does.
#include <phantom/config/secrets.hpp>
#include <phantom/daemon/lock.hpp>
#include <phantom/doctor/check.hpp>
#include <phantom/sys/child.hpp>
#include <phantom/sys/ports.hpp>
#include <phantom/sys/process.hpp>
#include <phantom/sys/socket.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <sstream>
#include <thread>

namespace phantom::doctor {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct Resolved {
    std::vector<tcp::endpoint> endpoints;
    std::string error; ///< the resolver's words when there are none
};

/// getaddrinfo bounded by `timeout`: it runs on a thread of its own, which is left behind
/// (detached) when the system resolver hangs past the limit.
Resolved resolve_bounded(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
    auto promise = std::make_shared<std::promise<Resolved>>();
    auto future = promise->get_future();
    std::thread([promise, host, port] {
        Resolved r;
        asio::io_context io;
        tcp::resolver resolver(io);
        boost::system::error_code ec;
        for (const auto& entry : resolver.resolve(host, std::to_string(port), ec)) {
            r.endpoints.push_back(entry.endpoint());
        }
        if (ec) {
            r.error = ec.message();
        }
        promise->set_value(std::move(r));
    }).detach();
    if (future.wait_for(timeout) != std::future_status::ready) {
        return {{}, fmt::format("no answer from the resolver within {} ms", timeout.count())};
    }
    return future.get();
}

class SystemProbes final : public Probes {
public:
    sys::Environment environment() override { return sys::current_environment(); }

    bool is_macos() override { return sys::is_macos(); }

    std::vector<ProcessEntry> processes() override {
        std::vector<ProcessEntry> out;
        for (auto& [pid, name] : sys::process_names()) {
            out.push_back({pid, std::move(name)});
        }
        return out;
    }

    std::optional<std::string> loopback_listener(std::uint16_t port) override {
        auto stream = sys::LoopbackStream::connect(port, std::chrono::steady_clock::now() + 300ms);
        if (!stream) {
            return std::nullopt;
        }
        return sys::port_owner(port).value_or("");
    }

    std::optional<std::filesystem::path> find_program(const std::string& name) override {
        return sys::find_program(name);
    }

    CommandOutcome run(const std::vector<std::string>& argv, const std::optional<sys::Environment>& env,
                       std::chrono::milliseconds timeout) override {
        sys::Process process(argv.front());
        process.args(std::vector<std::string>(argv.begin() + 1, argv.end())).timeout(timeout);
        if (env) {
            process.environment(*env);
        }
        const auto r = process.run();
        if (!r) {
            return {};
        }
        return {true, r->timed_out, r->exit_code, r->out, r->err};
    }

    std::vector<std::string> resolve(const std::string& host) override {
        std::vector<std::string> out;
        for (const auto& endpoint : resolve_bounded(host, 0, 3s).endpoints) {
            const std::string a = endpoint.address().to_string();
            if (std::find(out.begin(), out.end(), a) == out.end()) {
                out.push_back(a);
            }
        }
        return out;
    }

    ConnectOutcome connect(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout) override {
        // The resolver has a budget of its own: a slow one is reported as such, not as a
        // server that does not answer.
        const auto resolved = resolve_bounded(host, port, 2s);
        ConnectOutcome out;
        if (resolved.endpoints.empty()) {
            out.result = ConnectOutcome::Result::dns_failure;
            out.detail = resolved.error;
            return out;
        }
        asio::io_context io;
        tcp::socket socket(io);
        asio::steady_timer timer(io, timeout);
        boost::system::error_code result = asio::error::timed_out;
        tcp::endpoint tried;
        const auto connect_start = std::chrono::steady_clock::now();
        asio::async_connect(socket, resolved.endpoints,
                            [&](const boost::system::error_code& ec, const tcp::endpoint& endpoint) {
                                result = ec;
                                tried = endpoint;
                                timer.cancel();
                            });
        timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
                boost::system::error_code ignored;
                socket.close(ignored); // the connect completes with operation_aborted
                result = asio::error::timed_out;
            }
        });
        io.run();
        out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                            connect_start);
        out.address = (result ? resolved.endpoints.back() : tried).address().to_string();
        if (!result) {
            out.result = ConnectOutcome::Result::ok;
        } else if (result == asio::error::connection_refused) {
            out.result = ConnectOutcome::Result::refused;
        } else if (result == asio::error::timed_out || result == asio::error::operation_aborted) {
            out.result = ConnectOutcome::Result::timeout;
        } else {
            out.result = ConnectOutcome::Result::other;
        }
        out.detail = result.message();
        return out;
    }

    tunnel::ProbeResult socks_probe(std::uint16_t port,
                                    const std::optional<tunnel::ProbeCredentials>& credentials,
                                    std::chrono::milliseconds timeout) override {
        return tunnel::probe_socks(port, credentials, timeout);
    }

    std::optional<std::string> exchange(std::uint16_t port, const std::string& request,
                                        std::chrono::milliseconds timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        auto stream = sys::LoopbackStream::connect(port, deadline);
        if (!stream) {
            return std::nullopt;
        }
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(request.data());
        if (!stream->write_all({bytes, request.size()}, deadline)) {
            return std::nullopt;
        }
        // Byte by byte up to the end of the head: a 200 to CONNECT is followed by nothing
        // until the client speaks. Other answers carry their cause in a short body.
        std::string reply;
        std::uint8_t byte = 0;
        std::size_t body_left = std::string::npos;
        while (reply.size() < 8192) {
            auto got = stream->read_exact({&byte, 1}, deadline);
            if (!got || *got == 0) {
                break;
            }
            reply.push_back(static_cast<char>(byte));
            if (body_left == std::string::npos && reply.size() >= 4 &&
                reply.compare(reply.size() - 4, 4, "\r\n\r\n") == 0) {
                if (reply.rfind("HTTP/1.1 200", 0) == 0 || reply.rfind("HTTP/1.0 200", 0) == 0) {
                    break;
                }
                body_left = 512;
            } else if (body_left != std::string::npos && --body_left == 0) {
                break;
            }
        }
        return reply;
    }

    config::SecretLookup keychain_password(const std::string& account) override {
        return config::lookup_password_within(account, 3s);
    }

    bool daemon_running(const daemon::DaemonFiles& files) override {
        return daemon::InstanceLock::is_held(files.lock);
    }
};

} // namespace

std::unique_ptr<Probes> system_probes() {
    return std::make_unique<SystemProbes>();
}

} // namespace phantom::doctor
