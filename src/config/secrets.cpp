// SPDX-License-Identifier: MIT
// The SOCKS password in the OS keychain: macOS `security`, Linux `secret-tool`, via stdin only.
#include <phantom/config/secrets.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/process.hpp>

#include <string_view>

namespace phantom::config {

namespace {

constexpr const char* k_service = "phantom";
// MAX_LINE_LEN in Apple's SecurityTool security.c: longer lines of `security -i` are split.
constexpr std::size_t k_security_max_line = 4096;

// `security -i` splits each stdin line itself (split_line() in SecurityTool's security.c):
// inside "..." a backslash escapes the next character. It calls isspace() on plain char, so
// bytes >= 0x80 are not safe there, and a line ends at a newline: only printable ASCII is
// quoted, anything else is refused.
std::optional<std::string> quote_for_security(std::string_view text) {
    std::string quoted = "\"";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e) {
            return std::nullopt;
        }
        if (c == '"' || c == '\\') {
            quoted += '\\';
        }
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

SecretStore store_macos(const std::string& account, const std::string& password) {
    const auto quoted_account = quote_for_security(account);
    const auto quoted_password = quote_for_security(password);
    if (!quoted_account || !quoted_password) {
        return SecretStore::config_file;
    }
    // The password goes through stdin: `add-generic-password -w PASSWORD` as real argv would
    // be visible to every user in ps(1).
    const std::string command = "add-generic-password -U -s " + std::string(k_service) + " -a " +
                                *quoted_account + " -w " + *quoted_password + "\n";
    if (command.size() >= k_security_max_line) {
        return SecretStore::config_file;
    }
    const auto security = sys::find_program("security");
    if (!security) {
        return SecretStore::config_file;
    }
    // In -i mode security exits with the status of the last command it read; we send one.
    const auto result = sys::Process(security->string()).arg("-i").stdin_data(command).run();
    if (!result || result->exit_code != 0) {
        return SecretStore::config_file;
    }
    return SecretStore::keychain;
}

SecretLookup lookup_macos(const std::string& account, std::chrono::milliseconds limit) {
    const auto security = sys::find_program("security");
    if (!security) {
        return {};
    }
    const auto result = sys::Process(security->string())
                            .args({"find-generic-password", "-s", k_service, "-a", account, "-w"})
                            .timeout(limit)
                            .run();
    if (result && result->timed_out) {
        return {std::nullopt, true};
    }
    if (!result || result->exit_code != 0) {
        return {};
    }
    std::string password = result->out;
    if (!password.empty() && password.back() == '\n') {
        password.pop_back(); // -w prints the password and a newline
    }
    if (password.empty()) {
        return {};
    }
    return {password, false};
}

SecretStore store_linux(const std::string& account, const std::string& password) {
    const auto secret_tool = sys::find_program("secret-tool");
    if (!secret_tool) {
        return SecretStore::config_file;
    }
    // secret-tool reads the secret from a non-tty stdin up to EOF, byte for byte: no
    // trailing newline, or it would become part of the password.
    const auto result =
        sys::Process(secret_tool->string())
            .args({"store", "--label=phantom (" + account + ")", "service", k_service, "account", account})
            .stdin_data(password)
            .run();
    if (!result || result->exit_code != 0) {
        return SecretStore::config_file; // e.g. no D-Bus session or no Secret Service
    }
    return SecretStore::secret_service;
}

SecretLookup lookup_linux(const std::string& account, std::chrono::milliseconds limit) {
    const auto secret_tool = sys::find_program("secret-tool");
    if (!secret_tool) {
        return {};
    }
    const auto result = sys::Process(secret_tool->string())
                            .args({"lookup", "service", k_service, "account", account})
                            .timeout(limit)
                            .run();
    if (result && result->timed_out) {
        return {std::nullopt, true};
    }
    // secret-tool adds a newline only when stdout is a terminal, which a pipe is not.
    if (!result || result->exit_code != 0 || result->out.empty()) {
        return {};
    }
    return {result->out, false};
}

} // namespace

const char* describe(SecretStore store) noexcept {
    switch (store) {
    case SecretStore::keychain:
        return "macOS Keychain";
    case SecretStore::secret_service:
        return "Secret Service (secret-tool)";
    case SecretStore::config_file:
        return "config file";
    }
    return "config file";
}

SecretStore store_password(const std::string& account, const std::string& password) {
    if (password.empty()) {
        return SecretStore::config_file;
    }
    return sys::is_macos() ? store_macos(account, password) : store_linux(account, password);
}

SecretLookup lookup_password_within(const std::string& account, std::chrono::milliseconds limit) {
    return sys::is_macos() ? lookup_macos(account, limit) : lookup_linux(account, limit);
}

std::optional<std::string> lookup_password(const std::string& account) {
    // Long enough for someone to answer the Keychain's "allow access" prompt.
    return lookup_password_within(account, std::chrono::seconds(60)).password;
}

std::string secret_account(const std::string& socks_user, const std::string& host, int port) {
    return socks_user + "@" + host + ":" + std::to_string(port);
}

} // namespace phantom::config
