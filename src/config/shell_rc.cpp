// SPDX-License-Identifier: MIT
// The `alias claude='phantom claude'` line in the user's shell rc file (only when asked).
#include <phantom/config/shell_rc.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <fmt/format.h>

namespace phantom::config {
namespace {

std::string shell_name(const std::string& shell_path) {
    return std::filesystem::path(shell_path).filename().string();
}

} // namespace

std::filesystem::path shell_rc_file(const std::string& shell_path, const std::filesystem::path& home) {
    const std::string name = shell_name(shell_path);
    if (name == "bash") {
        return home / ".bashrc";
    }
    if (name == "zsh") {
        return home / ".zshrc";
    }
    if (name == "fish") {
        return home / ".config" / "fish" / "config.fish";
    }
    return home / ".profile";
}

std::string alias_line(const std::string& shell_path, const std::string& command) {
    if (shell_name(shell_path) == "fish") {
        return fmt::format("alias {} 'phantom {}'", command, command);
    }
    return fmt::format("alias {}='phantom {}'", command, command);
}

bool add_alias(const std::filesystem::path& rc, const std::string& shell_path, const std::string& command) {
    const std::string line = alias_line(shell_path, command);
    std::string existing;
    if (auto text = sys::read_file(rc)) {
        existing = std::move(*text);
        if (existing.find(line) != std::string::npos) {
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::create_directories(rc.parent_path(), ec);
    // Append, never rewrite: the rc file is the user's, with their own edits in it.
    const std::string text = fmt::format("{}# added by `phantom init`\n{}\n",
                                         existing.empty() || existing.back() == '\n' ? "" : "\n", line);
    if (auto r = sys::append_file(rc, text, 0644); !r) {
        throw Error(fmt::format("cannot write {}: {}", rc.string(), r.error().message()),
                    fmt::format("add this line yourself: {}", line));
    }
    return true;
}

} // namespace phantom::config
