// SPDX-License-Identifier: MIT
// Long-lived children and other processes: spawn with a parent-death signal, signal, reap,
// and read a pid's command line before trusting it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <phantom/config.hpp>
#include <phantom/sys/child.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/process.hpp>

#include "sys/child_environment.hpp"
#if PHANTOM_HAVE_PRCTL
#include <sys/prctl.h>
#endif

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>

#include <cerrno>
#include <sstream>
#include <thread>

namespace bp = boost::process;

namespace phantom::sys {
namespace {

/// Runs in the child between fork and exec: output redirection and the death signal.
struct ChildSetup : bp::extend::handler {
    int output_fd = -1;
    bool die_with_parent = true;
    pid_t parent = 0;

    template <class Executor>
    void on_exec_setup(Executor& /*exec*/) const {
        if (output_fd >= 0) {
            ::dup2(output_fd, STDOUT_FILENO);
            ::dup2(output_fd, STDERR_FILENO);
        }
        // The signal mask survives fork and exec: the daemon blocks SIGCHLD, SIGTERM and
        // SIGUSR1 to take them synchronously, and autossh would never see its ssh die or be
        // told to restart it.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // An ignored signal stays ignored across exec; the daemon ignores SIGPIPE.
        ::signal(SIGPIPE, SIG_DFL);
        // Its own process group: a terminal's ^C to `phantom connect --foreground` reaches
        // the daemon, which then stops the tunnel in order.
        ::setpgid(0, 0);
#if PHANTOM_HAVE_PRCTL
        if (die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            // The parent may have died between fork and prctl: then nobody would ever
            // send the signal (prctl(2) NOTES).
            if (::getppid() != parent) {
                ::_exit(1);
            }
        }
#endif
    }
};

} // namespace

boost::system::result<int> spawn(const SpawnOptions& options) {
    if (options.argv.empty()) {
        return boost::system::error_code(EINVAL, boost::system::system_category());
    }
    const auto exe = detail::find_child_program(options.argv.front(), options.environment);
    if (!exe) {
        return boost::system::error_code(ENOENT, boost::system::system_category());
    }
    ChildSetup setup;
    setup.die_with_parent = options.die_with_parent;
    setup.parent = ::getpid();
    if (!options.output.empty()) {
        setup.output_fd = ::open(options.output.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (setup.output_fd < 0) {
            return boost::system::error_code(errno, boost::system::system_category());
        }
    }
    bp::environment env = detail::child_environment(options.environment);
    std::error_code ec;
    int pid = -1;
    {
        const std::vector<std::string> args(options.argv.begin() + 1, options.argv.end());
        bp::child child(bp::exe = exe->string(), bp::args = args, env,
                        bp::std_in<bp::null, bp::std_out> bp::null, bp::std_err > bp::null, setup, ec);
        if (!ec) {
            pid = child.id();
            // The daemon reaps with waitpid itself (it is also the subreaper of orphans).
            child.detach();
        }
    }
    if (setup.output_fd >= 0) {
        ::close(setup.output_fd);
    }
    if (ec) {
        return boost::system::error_code(ec.value(), boost::system::system_category());
    }
    return pid;
}

bool become_subreaper() noexcept {
#if PHANTOM_HAVE_PRCTL && defined(PR_SET_CHILD_SUBREAPER)
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
#else
    return false;
#endif
}

std::vector<int> reap_exited_children() {
    std::vector<int> reaped;
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return reaped;
        }
        reaped.push_back(pid);
    }
}

bool reap_child(int pid) noexcept {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == pid;
}

bool process_exists(int pid) noexcept {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

bool process_group_exists(int group) noexcept {
    return group > 0 && (::killpg(group, 0) == 0 || errno == EPERM);
}

bool send_signal(int pid, int signal) noexcept {
    return pid > 0 && ::kill(pid, signal) == 0;
}

std::optional<std::vector<std::string>> process_command_line(int pid) {
    if (pid <= 0) {
        return std::nullopt;
    }
    auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (!text || text->empty()) {
        return std::nullopt;
    }
    std::vector<std::string> argv;
    std::string current;
    for (const char c : *text) {
        if (c == '\0') {
            argv.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) {
        argv.push_back(std::move(current));
    }
    return argv;
}

std::optional<std::string> process_name(int pid) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/comm");
    if (!text || text->empty()) {
        return std::nullopt;
    }
    if (text->back() == '\n') {
        text->pop_back();
    }
    return *text;
}

std::vector<std::pair<int, std::string>> process_names() {
    std::vector<std::pair<int, std::string>> out;
    for (const int pid : all_processes()) {
        if (auto name = process_name(pid)) {
            out.emplace_back(pid, std::move(*name));
        }
    }
    if (!out.empty()) {
        return out;
    }
    // No /proc (macOS): ps prints each executable's path; its last part is the name.
    const auto r = Process("ps").args({"-axo", "pid=,comm="}).timeout(std::chrono::seconds(3)).run();
    if (!r) {
        return out;
    }
    std::istringstream in(r->out);
    int pid = 0;
    std::string rest;
    while (in >> pid && std::getline(in, rest)) {
        rest.erase(0, rest.find_first_not_of(' '));
        out.emplace_back(pid, rest.substr(rest.rfind('/') + 1));
    }
    return out;
}

std::vector<int> all_processes() {
    std::vector<int> pids;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
            pids.push_back(std::stoi(name));
        }
    }
    return pids;
}

std::vector<int> child_processes(int pid) {
    std::vector<int> children;
    auto text = read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    if (!text) {
        return children;
    }
    std::istringstream in(*text);
    int child = 0;
    while (in >> child) {
        children.push_back(child);
    }
    return children;
}

bool terminate_process(int pid, std::chrono::milliseconds grace) {
    if (!process_exists(pid)) {
        return true;
    }
    send_signal(pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        reap_child(pid);
        if (!process_exists(pid)) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    send_signal(pid, SIGKILL);
    for (int i = 0; i < 100; ++i) {
        reap_child(pid);
        if (!process_exists(pid)) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !process_exists(pid);
}

boost::system::result<int> fork_daemon(const std::filesystem::path& output) {
    const int out = ::open(output.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (out < 0) {
        return boost::system::error_code(errno, boost::system::system_category());
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(out);
        return boost::system::error_code(error, boost::system::system_category());
    }
    if (pid > 0) {
        ::close(out);
        return static_cast<int>(pid);
    }
    // The daemon must not hold the caller's terminal or cwd (an unmounted directory would
    // stay busy), and must not die with the caller's session.
    ::setsid();
    if (::chdir("/") != 0) {
        ::_exit(1);
    }
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::close(null);
    }
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::close(out);
    return 0;
}

std::optional<int> wait_child(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (r < 0 || std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace phantom::sys
