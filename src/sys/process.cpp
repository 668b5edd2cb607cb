// SPDX-License-Identifier: MIT
// The one process builder over Boost.Process: explicit argv and environment.
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/sys/process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/args.hpp>
#include <boost/process/async.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>

#include <cerrno>
#include <csignal>
#include <future>
#include <system_error>
#include <thread>

#include "sys/child_environment.hpp"

namespace bp = boost::process;

namespace phantom::sys {
namespace {

bool is_executable_file(const std::filesystem::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> flatten(const Environment& env) {
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [name, value] : env) {
        out.push_back(name + "=" + value);
    }
    return out;
}

} // namespace

Process::Process(std::string program) : m_program(std::move(program)) {}

Process& Process::arg(std::string value) {
    m_args.push_back(std::move(value));
    return *this;
}

Process& Process::args(const std::vector<std::string>& values) {
    m_args.insert(m_args.end(), values.begin(), values.end());
    return *this;
}

Process& Process::environment(Environment env) {
    m_env = std::move(env);
    return *this;
}

Process& Process::stdin_data(std::string data) {
    m_stdin = std::move(data);
    return *this;
}

Process& Process::inherit_stdio(bool inherit) {
    m_inherit = inherit;
    return *this;
}

Process& Process::timeout(std::chrono::milliseconds limit) {
    m_timeout = limit;
    return *this;
}

boost::system::result<ProcessResult> Process::run() const {
    const auto exe = detail::find_child_program(m_program, m_env);
    if (!exe) {
        return boost::system::error_code(ENOENT, boost::system::system_category());
    }
    bp::environment env = detail::child_environment(m_env);
    ProcessResult result;
    std::error_code ec;
    try {
        if (m_inherit) {
            bp::child child(bp::exe = exe->string(), bp::args = m_args, env, ec);
            if (ec) {
                return boost::system::error_code(ec.value(), boost::system::system_category());
            }
            child.wait();
            result.exit_code = child.exit_code();
            return result;
        }
        boost::asio::io_context io;
        std::future<std::string> out;
        std::future<std::string> err;
        const std::string input = m_stdin.value_or(std::string());
        // With a time limit the child leads a process group of its own, so that killing it
        // also ends what it started (ssh's ProxyCommand, a helper holding its pipes).
        const bool own_group = m_timeout.has_value();
        bp::child child(
            bp::exe = exe->string(), bp::args = m_args, env,
            bp::std_in<boost::asio::buffer(input), bp::std_out> out, bp::std_err > err, io, ec,
            bp::extend::on_exec_setup = [own_group](auto& /*executor*/) {
                if (own_group) {
                    ::setpgid(0, 0);
                }
            });
        if (ec) {
            return boost::system::error_code(ec.value(), boost::system::system_category());
        }
        if (!m_timeout) {
            io.run();
        } else {
            const auto deadline = std::chrono::steady_clock::now() + *m_timeout;
            io.run_until(deadline); // the output, until both pipes close or the deadline
            // A child may close its pipes and go on running: its exit is what counts.
            while (child.running() && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            result.timed_out = child.running();
            if (result.timed_out || !io.stopped()) {
                ::kill(-child.id(), SIGKILL); // the child and whatever still holds its pipes
                io.run_for(std::chrono::seconds(1));
            }
        }
        child.wait();
        result.exit_code = result.timed_out ? 128 + SIGKILL : child.exit_code();
        const auto ready = [](std::future<std::string>& f) {
            return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready ? f.get() : std::string();
        };
        result.out = ready(out);
        result.err = ready(err);
    } catch (const bp::process_error& e) {
        return boost::system::error_code(e.code().value(), boost::system::system_category());
    }
    return result;
}

boost::system::error_code Process::exec() const {
    const Environment env = m_env ? *m_env : current_environment();
    const auto exe = detail::find_child_program(m_program, env);
    if (!exe) {
        return {ENOENT, boost::system::system_category()};
    }
    std::vector<std::string> env_strings = flatten(env);
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (auto& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings;
    argv_strings.reserve(m_args.size() + 1);
    argv_strings.push_back(m_program);
    argv_strings.insert(argv_strings.end(), m_args.begin(), m_args.end());
    std::vector<char*> argv;
    argv.reserve(argv_strings.size() + 1);
    for (auto& a : argv_strings) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execve(exe->c_str(), argv.data(), envp.data());
    return {errno, boost::system::system_category()};
}

std::optional<std::filesystem::path> find_program(const std::string& name, const std::string& path_value) {
    if (name.empty()) {
        return std::nullopt;
    }
    if (name.find('/') != std::string::npos) {
        if (is_executable_file(name)) {
            return std::filesystem::path(name);
        }
        // Let exec report EACCES/ENOEXEC for an existing file rather than "not found".
        struct stat st {};
        if (::stat(name.c_str(), &st) == 0) {
            return std::filesystem::path(name);
        }
        return std::nullopt;
    }
    std::string_view rest = path_value;
    while (true) {
        const auto colon = rest.find(':');
        std::string_view dir = rest.substr(0, colon);
        // An empty PATH element means the current directory (POSIX XCU 8.3).
        std::filesystem::path candidate =
            dir.empty() ? std::filesystem::path(name) : std::filesystem::path(dir) / name;
        if (is_executable_file(candidate)) {
            return candidate;
        }
        if (colon == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

namespace detail {

std::optional<std::filesystem::path> find_child_program(const std::string& name,
                                                        const std::optional<Environment>& env) {
    if (!env) {
        return find_program(name);
    }
    const auto path = env->find("PATH");
    return find_program(name, path != env->end() ? path->second : std::string("/usr/bin:/bin"));
}

bp::environment child_environment(const std::optional<Environment>& env) {
    if (!env) {
        return bp::environment(boost::this_process::environment());
    }
    bp::environment out;
    for (const auto& [name, value] : *env) {
        out[name] = value;
    }
    return out;
}

} // namespace detail

std::optional<std::filesystem::path> find_program(const std::string& name) {
    return find_program(name, get_env("PATH").value_or("/usr/bin:/bin"));
}

} // namespace phantom::sys
