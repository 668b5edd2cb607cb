// SPDX-License-Identifier: MIT
// The two tiers of errors that reach the user, and the exit codes of design §3.
#pragma once

#include <stdexcept>
#include <string>

namespace phantom {

/// Exit codes: sysexits(3) for phantom's own failures, shell conventions for the child.
namespace exit_code {
inline constexpr int k_ok = 0;
inline constexpr int k_failure = 1;
inline constexpr int k_not_connected = 3;
inline constexpr int k_usage = 64;
inline constexpr int k_unavailable = 69;
inline constexpr int k_software = 70;
inline constexpr int k_config = 78;
inline constexpr int k_cannot_execute = 126;
inline constexpr int k_command_not_found = 127;
} // namespace exit_code

/// A recoverable failure with an optional one-line fix. Layers above catch it to add
/// context (doctor catches one per check); `main` prints it as a config/usage error.
class Error : public std::runtime_error {
public:
    explicit Error(std::string message, std::string hint = {})
        : std::runtime_error(std::move(message)), m_hint(std::move(hint)) {}

    /// One line telling the user how to fix it; may be empty.
    [[nodiscard]] const std::string& hint() const noexcept { return m_hint; }

private:
    std::string m_hint;
};

/// A failure that ends the command with a specific exit code. Only `main` catches it and
/// prints `phantom: error: <message>` then `hint: <hint>`.
class Fatal : public Error {
public:
    Fatal(int code, std::string message, std::string hint = {})
        : Error(std::move(message), std::move(hint)), m_code(code) {}

    [[nodiscard]] int code() const noexcept { return m_code; }

private:
    int m_code;
};

} // namespace phantom
