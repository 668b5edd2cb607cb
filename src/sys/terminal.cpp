// SPDX-License-Identifier: MIT
// Line input for interactive commands: plain lines and secrets read without echo.
#include <termios.h>
#include <unistd.h>

#include <phantom/sys/terminal.hpp>

#include <iostream>
#include <iterator>
#include <string>

namespace phantom::sys {

std::optional<std::string> prompt_line(const std::string& prompt) {
    std::cerr << prompt << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) {
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

std::optional<std::string> prompt_secret(const std::string& prompt) {
    termios saved{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    auto line = prompt_line(prompt);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    return line;
}

bool stdin_is_terminal() noexcept {
    return ::isatty(STDIN_FILENO) == 1;
}

bool stderr_is_terminal() noexcept {
    return ::isatty(STDERR_FILENO) == 1;
}

bool stdout_is_terminal() noexcept {
    return ::isatty(STDOUT_FILENO) == 1;
}

std::string read_stdin_secret() {
    std::string data{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    // `echo pw | phantom init --password-stdin` and printf without newline both work, like
    // `docker login --password-stdin`.
    if (!data.empty() && data.back() == '\n') {
        data.pop_back();
        if (!data.empty() && data.back() == '\r') {
            data.pop_back();
        }
    }
    return data;
}

} // namespace phantom::sys
