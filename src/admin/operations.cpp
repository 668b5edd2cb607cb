// SPDX-License-Identifier: MIT
// What phantom-admin does to the data directory: members, rendering, reloading danted.
#include <phantom/admin/operations.hpp>
#include <phantom/admin/render.hpp>
#include <phantom/config/invite.hpp>
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/child.hpp>
#include <phantom/sys/file_lock.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/process.hpp>

#include <fmt/format.h>

#include <csignal>
#include <ctime>
#include <thread>

namespace phantom::admin {
namespace {

constexpr std::size_t k_max_password = 255; // RFC 1929

[[noreturn]] void unavailable(const std::string& message, std::string hint = {}) {
    throw Fatal(exit_code::k_unavailable, message, std::move(hint));
}

std::string read_template(const Context& ctx, const char* name) {
    const auto path = ctx.template_dir / name;
    auto text = sys::read_file(path);
    if (!text) {
        throw Fatal(
            exit_code::k_config,
            fmt::format("cannot read the template {}: {}", path.string(), text.error().message()),
            "set PHANTOM_TEMPLATE_DIR to the directory holding danted.conf and sshd_config (server/)");
    }
    return *text;
}

void write_file(const std::filesystem::path& path, const std::string& content, mode_t mode,
                std::optional<gid_t> group = std::nullopt) {
    if (auto r = sys::write_file_atomic(path, content, mode, group); !r) {
        unavailable(fmt::format("cannot write {}: {}", path.string(), r.error().message()),
                    "phantom-admin must run as root on a writable data directory");
    }
}

void ensure_dir(const std::filesystem::path& dir, mode_t mode) {
    if (auto r = sys::ensure_private_dir(dir, mode); !r) {
        unavailable(fmt::format("cannot prepare {}: {}", dir.string(), r.error().message()),
                    "phantom-admin must run as root on a writable data directory");
    }
}

/// `danted -V` checks a configuration without starting; its complaint is the error.
void check_dante_config(const std::filesystem::path& file) {
    auto result = sys::Process("danted").args({"-V", "-f", file.string()}).run();
    if (!result) {
        unavailable("danted is not installed", "install dante-server (the image has it)");
    }
    if (result->exit_code != 0) {
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
        // danted logs "DATE (TIME) danted[PID]: error: FILE: problem on line N …": keep what
        // follows "error: ", on one line.
        std::string why = result->err.empty() ? result->out : result->err;
        const auto at = why.find("error: ");
        if (at != std::string::npos) {
            why = why.substr(at + 7);
        }
        why = why.substr(0, why.find('\n'));
        throw Fatal(exit_code::k_software,
                    fmt::format("the rendered danted.conf does not pass danted -V: {}", why),
                    "the live configuration was kept; check server.toml (allow_targets, dante_external)");
    }
}

void check_new_name(const std::vector<Member>& members, const std::string& name) {
    if (auto bad = config::check_user_name(name)) {
        throw Fatal(exit_code::k_usage, fmt::format("invalid member name: {}", *bad),
                    "use lowercase letters, digits, '_', '.' and '-', starting with a letter");
    }
    for (const auto& m : members) {
        if (m.name == name) {
            throw Fatal(exit_code::k_usage, fmt::format("member \"{}\" already exists", name),
                        "pick another name, or `phantom-admin user invite NAME` for a new password");
        }
    }
}

void check_password(const std::string& password) {
    if (password.empty() || password.size() > k_max_password) {
        throw Fatal(exit_code::k_usage,
                    "the password must be 1 to 255 bytes (SOCKS5 username/password auth)");
    }
    if (password.find_first_of("\n\r:") != std::string::npos || password.find('\0') != std::string::npos) {
        throw Fatal(exit_code::k_usage, "the password must not contain ':', a newline or NUL");
    }
}

Member& existing(std::vector<Member>& members, const std::string& name) {
    Member* m = find_member(members, name);
    if (m == nullptr) {
        throw Fatal(exit_code::k_usage, fmt::format("no member named \"{}\"", name),
                    "`phantom-admin user list` shows the members");
    }
    return *m;
}

std::string host_public_key(const DataFiles& files) {
    auto text = sys::read_file(std::filesystem::path(files.host_key.string() + ".pub"));
    if (!text) {
        unavailable(fmt::format("no host key at {}.pub", files.host_key.string()),
                    "run `phantom-admin render` (or start the server) once to create it");
    }
    // "TYPE BASE64 comment": the invite pins TYPE BASE64.
    std::string key = *text;
    const auto first = key.find(' ');
    const auto second = first == std::string::npos ? first : key.find_first_of(" \n", first + 1);
    return key.substr(0, second);
}

/// Changes the members under the lock and renders; `change` returns the text to print.
template <class Change>
std::string modify(const Context& ctx, Change change) {
    DataLock lock(ctx.files);
    auto members = read_members(ctx.files.users);
    std::string result = change(members);
    // Render first: a failure (danted -V, a missing template) leaves users.json untouched.
    render(ctx, members);
    write_members(ctx.files.users, members);
    return result;
}

} // namespace

Context open_context(const std::filesystem::path& data_dir, const sys::Environment& env) {
    Context ctx;
    ctx.config = load_server_config(data_dir, env);
    ctx.files = data_files(data_dir);
    if (const auto dir = env.find("PHANTOM_TEMPLATE_DIR"); dir != env.end()) {
        ctx.template_dir = dir->second;
    } else {
        // Installed by `cmake --install` under PREFIX/share/phantom beside PREFIX/sbin (the
        // .deb: /usr), or where the image puts them.
        ctx.template_dir = "/usr/share/phantom";
        std::error_code ec;
        if (const auto self = sys::executable_path()) {
            const auto beside = self->parent_path().parent_path() / "share" / "phantom";
            if (std::filesystem::is_regular_file(beside / "danted.conf", ec)) {
                ctx.template_dir = beside;
            }
        }
    }
    return ctx;
}

DataLock::DataLock(const DataFiles& files) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        auto fd = sys::lock_file(files.lock, 0600);
        if (fd) {
            m_fd = *fd;
            return;
        }
        if (fd.error().value() != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline) {
            unavailable(fmt::format("cannot lock {}: {}", files.lock.string(), fd.error().message()),
                        "another phantom-admin is still working; try again");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

DataLock::~DataLock() {
    sys::unlock_file(m_fd);
}

void prepare(const Context& ctx) {
    const auto& f = ctx.files;
    ensure_dir(f.dir, 0755);
    ensure_dir(f.ssh_dir, 0755);
    ensure_dir(f.password_file.parent_path(), 0755);
    ensure_dir(f.dante_log.parent_path(), 0755);
    DataLock lock(f);
    if (!std::filesystem::exists(f.server_toml)) {
        // The defaults, not this run's environment: a one-off PHANTOM_* must not become
        // permanent (an allow_targets exemption above all).
        write_file(f.server_toml, render_server_toml(ServerConfig{}), 0600);
    }
    if (!std::filesystem::exists(f.host_key)) {
        auto result =
            sys::Process("ssh-keygen")
                .args({"-q", "-t", "ed25519", "-N", "", "-C", "phantom-server", "-f", f.host_key.string()})
                .run();
        if (!result || result->exit_code != 0) {
            unavailable(fmt::format("cannot create the SSH host key {}: {}", f.host_key.string(),
                                    result ? result->err : std::string("ssh-keygen is not installed")),
                        "install openssh-client (ssh-keygen)");
        }
    }
    render(ctx, read_members(f.users));
}

void render(const Context& ctx, const std::vector<Member>& members) {
    const auto& f = ctx.files;
    const auto dante_account = sys::account_ids(ctx.config.dante_user);
    if (!dante_account) {
        unavailable(
            fmt::format("the account \"{}\" (dante_user) does not exist", ctx.config.dante_user),
            "create it (useradd --system) or set dante_user in server.toml to danted's unprivileged user");
    }
    // danted.conf first, checked before it replaces the live one.
    const std::string conf = render_danted_conf(read_template(ctx, "danted.conf"), ctx.config, members);
    const std::filesystem::path candidate = f.danted_conf.string() + ".new";
    write_file(candidate, conf, 0644);
    check_dante_config(candidate);
    std::error_code ec;
    std::filesystem::rename(candidate, f.danted_conf, ec);
    if (ec) {
        unavailable(fmt::format("cannot replace {}: {}", f.danted_conf.string(), ec.message()));
    }
    // Readable by danted's unprivileged process (PAM runs there, design §7), by no one else.
    write_file(f.password_file, render_password_file(members), 0640, dante_account->second);
    // sshd (StrictModes) wants these owned by root and not writable by others.
    write_file(f.authorized_keys, render_authorized_keys(ctx.config, members), 0644);
    write_file(f.sshd_config, render_sshd_config(read_template(ctx, "sshd_config"), ctx.config, f), 0644);
    reload_dante(f);
}

bool reload_dante(const DataFiles& files) {
    const auto pid_file = files.danted_conf.parent_path() / "danted.pid";
    auto text = sys::read_file(pid_file);
    if (!text) {
        return false;
    }
    int pid = 0;
    try {
        pid = std::stoi(*text);
    } catch (const std::exception&) {
        return false;
    }
    const auto argv = sys::process_command_line(pid);
    if (!argv || argv->empty() || std::filesystem::path(argv->front()).filename() != "danted") {
        return false;
    }
    return sys::send_signal(pid, SIGHUP);
}

std::string invite_uri(const Context& ctx, const std::string& name, const std::string& password) {
    if (ctx.config.public_host.empty()) {
        throw Fatal(exit_code::k_config, "no public host for invites",
                    "set PHANTOM_PUBLIC_HOST (or public_host in server.toml) to the name members connect to");
    }
    config::Invite invite;
    invite.socks_user = name;
    invite.password = password;
    invite.host = ctx.config.public_host;
    invite.ssh_port = ctx.config.ssh_port;
    invite.mode = config::Mode::dante;
    invite.socks_port = ctx.config.dante_port;
    invite.tunnel_user = ctx.config.tunnel_user;
    invite.host_key = host_public_key(ctx.files);
    invite.dante_host = ctx.config.dante_addr;
    return config::format_invite(invite);
}

std::string add_member(const Context& ctx, const NewMember& member) {
    if (!member.ssh_key.empty()) {
        if (auto bad = config::check_host_key(member.ssh_key, true)) {
            throw Fatal(exit_code::k_usage, fmt::format("invalid SSH key: {}", *bad),
                        "pass the member's public key line, e.g. --ssh-key \"$(cat id_ed25519.pub)\"");
        }
    }
    const std::string password = member.password.value_or(generate_password());
    check_password(password);
    const std::string invite = invite_uri(ctx, member.name, password); // fails early without a host key
    modify(ctx, [&](std::vector<Member>& members) {
        check_new_name(members, member.name);
        Member m;
        m.name = member.name;
        m.password_hash = hash_password(password);
        m.ssh_key = member.ssh_key;
        m.max_sessions = member.max_sessions;
        m.rate = member.rate;
        m.created_at = static_cast<std::int64_t>(std::time(nullptr));
        members.push_back(std::move(m));
        return std::string();
    });
    return invite;
}

void delete_member(const Context& ctx, const std::string& name) {
    modify(ctx, [&](std::vector<Member>& members) {
        existing(members, name);
        std::erase_if(members, [&](const Member& m) { return m.name == name; });
        return std::string();
    });
}

void set_member_enabled(const Context& ctx, const std::string& name, bool enabled) {
    modify(ctx, [&](std::vector<Member>& members) {
        existing(members, name).enabled = enabled;
        return std::string();
    });
}

std::string set_member_password(const Context& ctx, const std::string& name,
                                std::optional<std::string> password) {
    const std::string chosen = password.value_or(generate_password());
    check_password(chosen);
    const std::string invite = invite_uri(ctx, name, chosen); // fails before anything changes
    modify(ctx, [&](std::vector<Member>& members) {
        existing(members, name).password_hash = hash_password(chosen);
        return std::string();
    });
    return invite;
}

std::vector<Member> list_members(const Context& ctx) {
    return read_members(ctx.files.users);
}

} // namespace phantom::admin
