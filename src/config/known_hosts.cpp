// SPDX-License-Identifier: MIT
// ~/.phantom/known_hosts: the pinned host key of the team server (no trust on first use).
#include <phantom/config/known_hosts.hpp>
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <fmt/format.h>

#include <sstream>

namespace phantom::config {

std::string known_hosts_pattern(const std::string& host, std::uint16_t port) {
    // sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": non-standard ports use the bracketed form.
    if (port == 22) {
        return host;
    }
    return fmt::format("[{}]:{}", host, port);
}

void pin_host_key(const std::filesystem::path& file, const std::string& host, std::uint16_t port,
                  const std::string& key) {
    if (auto problem = check_host_key(key)) {
        throw Fatal(exit_code::k_config, fmt::format("invalid host key: {}", *problem),
                    "paste the server's key as \"TYPE BASE64\" (phantom-admin prints it in the invite)");
    }
    if (auto problem = check_host(host)) {
        throw Fatal(exit_code::k_config, fmt::format("invalid host \"{}\": {}", host, *problem),
                    "use the server's DNS name or IP address");
    }
    const std::string pattern = known_hosts_pattern(host, port);
    std::string kept;
    if (auto existing = sys::read_file(file)) {
        std::istringstream in(*existing);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind(pattern + " ", 0) == 0) {
                continue;
            }
            kept += line + "\n";
        }
    }
    kept += fmt::format("{} {}\n", pattern, key);
    if (auto r = sys::write_file_atomic(file, kept, 0600); !r) {
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot write {}: {}", file.string(), r.error().message()),
                    "check that ~/.phantom is a directory you own");
    }
}

} // namespace phantom::config
