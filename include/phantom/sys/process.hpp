// SPDX-License-Identifier: MIT
// The one process builder: explicit argv and environment, secrets only through stdin.
#pragma once

#include <phantom/sys/platform.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace phantom::sys {

/// Outcome of a finished child: exit code (128+signal when killed) and captured output.
struct ProcessResult {
    int exit_code = 0;
    std::string out;
    std::string err;
    bool timed_out = false; ///< killed (SIGKILL) when its time limit ran out
};

/// Builds a child process from an explicit argv. The environment is inherited unless
/// `environment()` replaces it; secrets go through `stdin_data()`, never argv.
class Process {
public:
    explicit Process(std::string program);

    Process& arg(std::string value);
    Process& args(const std::vector<std::string>& values);
    /// Replaces the whole environment of the child.
    Process& environment(Environment env);
    /// Bytes written to the child's stdin (then closed). Default: stdin is /dev/null.
    Process& stdin_data(std::string data);
    /// Lets the child use this process's stdin/stdout/stderr (interactive tools).
    Process& inherit_stdio(bool inherit = true);
    /// Kills the child (SIGKILL) when it runs longer than `limit`; run() then returns what it
    /// printed so far with timed_out set. Not for inherited stdio.
    Process& timeout(std::chrono::milliseconds limit);

    /// Runs to completion, capturing stdout/stderr unless inherited. Fails when the program
    /// cannot be started (not found, not executable).
    boost::system::result<ProcessResult> run() const;

    /// Replaces this process (execvp semantics: the program is searched on the PATH of the
    /// given environment). Returns only on failure, with the errno of execve.
    boost::system::error_code exec() const;

private:
    std::string m_program;
    std::vector<std::string> m_args;
    std::optional<Environment> m_env;
    std::optional<std::string> m_stdin;
    bool m_inherit = false;
    std::optional<std::chrono::milliseconds> m_timeout;
};

/// Finds `name` on `path_value` (a PATH string) the way execvp does; names containing a
/// slash are returned as is when executable.
std::optional<std::filesystem::path> find_program(const std::string& name, const std::string& path_value);

/// find_program() with this process's PATH.
std::optional<std::filesystem::path> find_program(const std::string& name);

} // namespace phantom::sys
