// SPDX-License-Identifier: MIT
// Line input for interactive commands: plain lines and secrets read without echo.
#pragma once

#include <optional>
#include <string>

namespace phantom::sys {

/// Prints `prompt` to stderr and reads one line from stdin; nullopt at end of input.
std::optional<std::string> prompt_line(const std::string& prompt);

/// Like prompt_line but with terminal echo off while typing (restored even on error).
std::optional<std::string> prompt_secret(const std::string& prompt);

/// True when standard input is a terminal (interactive prompts make sense).
bool stdin_is_terminal() noexcept;

/// True when standard error is a terminal (progress output makes sense).
bool stderr_is_terminal() noexcept;

/// True when standard output is a terminal (colour makes sense).
bool stdout_is_terminal() noexcept;

/// Reads all of stdin, dropping one trailing newline (for --password-stdin).
std::string read_stdin_secret();

} // namespace phantom::sys
