// SPDX-License-Identifier: MIT
// `phantom-admin check`: is the server's data directory sound and do its daemons answer?
#include <phantom/admin/check.hpp>
#include <phantom/sys/fs.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <chrono>

namespace phantom::admin {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto k_timeout = std::chrono::seconds(3);

struct Exchange {
    bool ok = false;
    std::string text; ///< the bytes read, or why there are none
};

/// Connects to host:port, sends `send`, and reads `expect_bytes` bytes, all within k_timeout.
Exchange exchange(const std::string& host, std::uint16_t port, const std::string& send,
                  std::size_t expect_bytes) {
    asio::io_context io;
    tcp::socket socket(io);
    tcp::resolver resolver(io);
    std::string reply(expect_bytes, '\0');
    boost::system::error_code failure;
    bool done = false;
    resolver.async_resolve(
        host, std::to_string(port),
        [&](const boost::system::error_code& ec, tcp::resolver::results_type results) {
            if (ec) {
                failure = ec;
                done = true;
                return;
            }
            asio::async_connect(
                socket, results, [&](const boost::system::error_code& cec, const tcp::endpoint&) {
                    if (cec) {
                        failure = cec;
                        done = true;
                        return;
                    }
                    asio::async_write(
                        socket, asio::buffer(send), [&](const boost::system::error_code& wec, std::size_t) {
                            if (wec) {
                                failure = wec;
                                done = true;
                                return;
                            }
                            asio::async_read(socket, asio::buffer(reply),
                                             [&](const boost::system::error_code& rec, std::size_t) {
                                                 failure = rec;
                                                 done = true;
                                             });
                        });
                });
        });
    io.run_for(k_timeout);
    if (!done) {
        return {false, "no answer within 3 s"};
    }
    if (failure) {
        return {false, failure.message()};
    }
    return {true, reply};
}

CheckResult file_check(const std::filesystem::path& path, mode_t mode, bool required) {
    CheckResult r;
    r.what = fmt::format("{} has mode {:o}", path.string(), mode);
    const auto status = sys::file_status(path);
    if (!status || !status->exists) {
        r.ok = !required;
        r.detail = required ? "missing: run `phantom-admin render` (the entrypoint does)" : "";
        if (!required) {
            r.what = fmt::format("{} (none yet)", path.string());
        }
        return r;
    }
    if (status->is_symlink) {
        r.detail = "is a symlink: replace it with the real file";
        return r;
    }
    if (status->mode != mode) {
        r.detail = fmt::format("has mode {:o}: chmod {:o} {}", status->mode, mode, path.string());
        return r;
    }
    if (status->owner != 0) {
        r.detail = fmt::format("is owned by uid {}: chown root {}", status->owner, path.string());
        return r;
    }
    r.ok = true;
    return r;
}

} // namespace

std::vector<CheckResult> check_server(const Context& ctx, const std::optional<std::string>& service) {
    const auto& f = ctx.files;
    std::vector<CheckResult> results;
    results.push_back({true, fmt::format("settings load ({})", f.server_toml.string()), ""});
    if (ctx.config.public_host.empty()) {
        results.push_back({false, "public_host is set",
                           "set PHANTOM_PUBLIC_HOST (or public_host in server.toml): invites need it"});
    }
    results.push_back(file_check(f.server_toml, 0600, true));
    results.push_back(file_check(f.users, 0600, false));
    results.push_back(file_check(f.host_key, 0600, true));
    results.push_back(file_check(f.password_file, 0640, true));
    results.push_back(file_check(f.authorized_keys, 0644, true));
    results.push_back(file_check(f.danted_conf, 0644, true));
    results.push_back(file_check(f.sshd_config, 0644, true));
    if (!service || *service == "dante") {
        CheckResult r;
        r.what = fmt::format("danted answers SOCKS5 on {}:{}", ctx.config.dante_addr, ctx.config.dante_port);
        // A greeting offering username/password: Dante answers with that method.
        const auto reply =
            exchange(ctx.config.dante_addr, ctx.config.dante_port, std::string("\x05\x01\x02", 3), 2);
        if (!reply.ok) {
            r.detail = fmt::format("{}: is the dante service running? (its log says why not)", reply.text);
        } else if (reply.text != std::string("\x05\x02", 2)) {
            r.detail = "the answer is not Dante's username/password method: check danted.conf (socksmethod)";
        } else {
            r.ok = true;
        }
        results.push_back(r);
    }
    if (!service || *service == "sshd") {
        CheckResult r;
        const std::string host = ctx.config.ssh_listen == "0.0.0.0" ? "127.0.0.1" : ctx.config.ssh_listen;
        r.what = fmt::format("sshd answers on {}:{}", host, ctx.config.ssh_port);
        const auto reply = exchange(host, ctx.config.ssh_port, std::string(), 4);
        if (!reply.ok) {
            r.detail = fmt::format("{}: is the sshd service running? (its log says why not)", reply.text);
        } else if (reply.text != "SSH-") {
            r.detail = "something else answers on the SSH port";
        } else {
            r.ok = true;
        }
        results.push_back(r);
    }
    if (service && *service != "dante" && *service != "sshd") {
        results.push_back(
            {false, fmt::format("service \"{}\"", *service), "use --service dante or --service sshd"});
    }
    return results;
}

} // namespace phantom::admin
