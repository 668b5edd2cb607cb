// SPDX-License-Identifier: MIT
// Turns what ssh printed into a cause and a fix the user can act on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phantom::tunnel {

/// A failure of the tunnel explained: one line of cause, one line of fix.
struct Diagnosis {
    std::string cause;
    std::string hint;
    bool permanent = false; ///< retrying cannot help (wrong key, host key mismatch, busy port)
};

/// The most specific diagnosis for ssh's stderr output `text` (several lines), or nullopt
/// when nothing known is in it. Recognises host key mismatch and unknown
/// host key, key refused, DNS failure, connection refused/timed out/no route, and a busy
/// local forward port (OpenSSH 9 wording: "bind [127.0.0.1]:PORT: Address already in use").
std::optional<Diagnosis> diagnose_ssh_output(std::string_view text, std::string_view host);

} // namespace phantom::tunnel
