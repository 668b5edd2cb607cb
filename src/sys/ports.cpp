// SPDX-License-Identifier: MIT
// Local TCP ports: is one free on 127.0.0.1, and which process holds it.
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <phantom/sys/fs.hpp>
#include <phantom/sys/ports.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sstream>

namespace phantom::sys {
namespace {

int bind_loopback(std::uint16_t port) noexcept {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    // ssh binds its -L/-D listener with SO_REUSEADDR, so TIME_WAIT leftovers do not count.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Socket inodes listening on `port` (state 0A = LISTEN) in /proc/net/tcp and tcp6.
std::vector<std::string> listening_inodes(std::uint16_t port) {
    std::vector<std::string> inodes;
    const std::string port_hex = fmt::format(":{:04X}", port);
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        auto text = read_file(table);
        if (!text) {
            continue;
        }
        std::istringstream in(*text);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
            fields >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
            if (state == "0A" && local.size() >= port_hex.size() &&
                local.compare(local.size() - port_hex.size(), port_hex.size(), port_hex) == 0) {
                inodes.push_back("socket:[" + inode + "]");
            }
        }
    }
    return inodes;
}

} // namespace

bool loopback_port_free(std::uint16_t port) noexcept {
    const int fd = bind_loopback(port);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    return true;
}

std::optional<std::uint16_t> pick_free_loopback_port() noexcept {
    const int fd = bind_loopback(0);
    if (fd < 0) {
        return std::nullopt;
    }
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    std::optional<std::uint16_t> port;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
}

std::optional<std::string> port_owner(std::uint16_t port) {
    const auto inodes = listening_inodes(port);
    if (inodes.empty()) {
        return std::nullopt;
    }
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) {
        return std::nullopt;
    }
    std::optional<std::string> owner;
    while (const dirent* entry = ::readdir(proc)) {
        const std::string pid = entry->d_name;
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const std::string fd_dir = "/proc/" + pid + "/fd";
        DIR* fds = ::opendir(fd_dir.c_str());
        if (fds == nullptr) {
            continue; // another user's process: the OS does not let us look
        }
        char target[64];
        while (const dirent* fd = ::readdir(fds)) {
            const std::string link = fd_dir + "/" + fd->d_name;
            const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
            if (n <= 0) {
                continue;
            }
            const std::string_view t(target, static_cast<std::size_t>(n));
            for (const auto& inode : inodes) {
                if (t == inode) {
                    auto comm = read_file("/proc/" + pid + "/comm");
                    std::string name = comm ? *comm : std::string("?");
                    while (!name.empty() && name.back() == '\n') {
                        name.pop_back();
                    }
                    owner = fmt::format("{} (pid {})", name, pid);
                }
            }
            if (owner) {
                break;
            }
        }
        ::closedir(fds);
        if (owner) {
            break;
        }
    }
    ::closedir(proc);
    return owner;
}

} // namespace phantom::sys
