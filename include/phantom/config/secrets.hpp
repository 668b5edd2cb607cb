// SPDX-License-Identifier: MIT
// Where the member's SOCKS password lives: OS keychain when available, else the 0600 config.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace phantom::config {

/// Where store_password() put the secret.
enum class SecretStore { keychain, secret_service, config_file };

/// "macOS Keychain", "Secret Service (secret-tool)", "config file".
const char* describe(SecretStore store) noexcept;

/// Stores `password` under service "phantom" and `account` with `security` (macOS) or
/// `secret-tool` (Linux, only when on PATH), passing it on stdin, never in argv. Returns
/// config_file when no keychain is available or it refused (non-zero exit, e.g. no D-Bus
/// session), and for passwords `security -i` cannot quote (anything but printable ASCII):
/// the caller then keeps it in the config.
SecretStore store_password(const std::string& account, const std::string& password);

/// Looks the password up in the OS keychain; nullopt when absent or unavailable.
std::optional<std::string> lookup_password(const std::string& account);

/// What a bounded keychain lookup found.
struct SecretLookup {
    std::optional<std::string> password;
    bool timed_out = false; ///< the keychain did not answer in time (locked, waiting on a prompt)
};

/// lookup_password() that gives up after `limit`, telling "not stored" from "no answer".
SecretLookup lookup_password_within(const std::string& account, std::chrono::milliseconds limit);

/// The keychain account name for a member on a server: "USER@HOST:PORT".
std::string secret_account(const std::string& socks_user, const std::string& host, int port);

} // namespace phantom::config
