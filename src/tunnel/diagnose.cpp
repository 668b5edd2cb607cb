// SPDX-License-Identifier: MIT
// Turns what ssh printed into a cause and a fix the user can act on.
#include <phantom/tunnel/diagnose.hpp>

#include <fmt/format.h>

#include <array>

namespace phantom::tunnel {
namespace {

struct Pattern {
    std::string_view needle;
    const char* cause;
    const char* hint;
    bool permanent;
};

// OpenSSH 9.x messages (sshconnect.c, ssh.c, channels.c), most specific first: ssh prints
// "Host key verification failed." after the more telling "REMOTE HOST IDENTIFICATION HAS
// CHANGED", and a refused key after a connection that did work.
constexpr std::array<Pattern, 11> k_patterns = {{
    {"REMOTE HOST IDENTIFICATION HAS CHANGED", "host key mismatch: the server's key is not the pinned one",
     "if your admin rebuilt the server, get a fresh invite and run `phantom init --invite …`; otherwise "
     "do not connect: someone may be intercepting",
     true},
    {"Host key verification failed", "host key mismatch or not pinned: ssh refused the server's key",
     "run `phantom init --invite …` (or --host-key) with the key from your admin", true},
    {"No ED25519 host key is known", "the server's host key is not pinned",
     "run `phantom init --invite …` with the invite from your admin", true},
    {"Permission denied", "the server refused your SSH key",
     "send the `phantom-admin user add … --ssh-key` line printed by `phantom init` to your admin", true},
    {"Address already in use", "the local tunnel port is busy",
     "stop the program holding it, or set another [tunnel] local_port in ~/.phantom/config", true},
    {"cannot listen to port", "the local tunnel port is busy",
     "stop the program holding it, or set another [tunnel] local_port in ~/.phantom/config", true},
    {"Could not resolve hostname", "the server name does not resolve",
     "check [server] host in ~/.phantom/config and your DNS", false},
    {"Connection refused", "the server refused the connection (nothing listens on its SSH port)",
     "check [server] port, and that the server's sshd is running", false},
    {"Connection timed out", "the server did not answer (timed out)",
     "check your network, a firewall, or a proxy app capturing the connection", false},
    {"No route to host", "no route to the server", "check your network connection", false},
    {"Network is unreachable", "no route to the server", "check your network connection", false},
}};

} // namespace

std::optional<Diagnosis> diagnose_ssh_output(std::string_view text, std::string_view host) {
    for (const auto& p : k_patterns) {
        if (text.find(p.needle) == std::string_view::npos) {
            continue;
        }
        std::string cause = p.cause;
        if (!host.empty() && !p.permanent) {
            cause = fmt::format("{} ({})", cause, host);
        }
        return Diagnosis{std::move(cause), p.hint, p.permanent};
    }
    return std::nullopt;
}

} // namespace phantom::tunnel
