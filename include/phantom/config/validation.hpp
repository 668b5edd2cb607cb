// SPDX-License-Identifier: MIT
// Validators shared by config, invites and phantom-admin: names, hosts, ports, host keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phantom::config {

/// nullopt when valid, else a short reason (which never quotes the input). Accepts RFC 1123
/// host names (at most 253 characters, labels of letters, digits and inner '-'), dotted-quad
/// IPv4 and bare IPv6 literals: IPv6 without brackets, the form ssh and getaddrinfo take.
/// Rejects whitespace, control characters and a leading '-' (it would become an ssh option).
std::optional<std::string> check_host(std::string_view host);

/// Member and SSH account names: [a-z_][a-z0-9_.-]{0,31} (portable POSIX user names).
/// nullopt when valid, else a short reason.
std::optional<std::string> check_user_name(std::string_view name);

/// A public key line "TYPE BASE64" (optionally " comment" when allow_comment) whose type
/// is an SSH key type and whose blob is valid base64 that starts with the same type.
/// Newlines and control characters anywhere, and options or markers before the type, are
/// rejected: the line is written into known_hosts / authorized_keys as is.
std::optional<std::string> check_host_key(std::string_view key, bool allow_comment = false);

/// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace phantom::config
