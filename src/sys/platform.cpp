// SPDX-License-Identifier: MIT
// The running user and system (POSIX parts shared by Linux and macOS).
#include <pwd.h>
#include <unistd.h>

#include <phantom/error.hpp>
#include <phantom/sys/platform.hpp>

#include <array>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace phantom::sys {
namespace {

const passwd* own_passwd_entry() {
    return ::getpwuid(::geteuid());
}

} // namespace

std::filesystem::path home_dir() {
    if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
        return home;
    }
    if (const passwd* pw = own_passwd_entry();
        pw != nullptr && pw->pw_dir != nullptr && pw->pw_dir[0] == '/') {
        return pw->pw_dir;
    }
    throw Error("cannot find your home directory: HOME is unset and there is no passwd entry",
                "set HOME to your home directory");
}

int current_pid() noexcept {
    return static_cast<int>(::getpid());
}

std::optional<std::pair<uid_t, gid_t>> account_ids(const std::string& name) {
    passwd entry{};
    passwd* found = nullptr;
    std::array<char, 16384> buffer{};
    if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
        return std::nullopt;
    }
    return std::make_pair(found->pw_uid, found->pw_gid);
}

uid_t current_uid() noexcept {
    return ::geteuid();
}

std::optional<std::string> get_env(const char* name) {
    if (const char* value = std::getenv(name); value != nullptr) {
        return std::string(value);
    }
    return std::nullopt;
}

Environment current_environment() {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const char* eq = std::strchr(*entry, '=');
        if (eq == nullptr) {
            continue;
        }
        // First definition wins, as getenv(3) does for duplicated names.
        env.emplace(std::string(static_cast<const char*>(*entry), eq), std::string(eq + 1));
    }
    return env;
}

std::string user_shell() {
    if (const char* shell = std::getenv("SHELL"); shell != nullptr && shell[0] == '/') {
        return shell;
    }
    if (const passwd* pw = own_passwd_entry();
        pw != nullptr && pw->pw_shell != nullptr && pw->pw_shell[0] == '/') {
        return pw->pw_shell;
    }
    return "/bin/sh";
}

} // namespace phantom::sys
