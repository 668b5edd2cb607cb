// SPDX-License-Identifier: MIT
// What phantom-admin does to the data directory: members, rendering, reloading danted.
// Every change runs under the data directory's lock and ends with a render.
#pragma once

#include <phantom/admin/server_config.hpp>
#include <phantom/admin/users.hpp>
#include <phantom/sys/platform.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace phantom::admin {

/// Where phantom-admin works: the settings, the data files and the templates
/// (PHANTOM_TEMPLATE_DIR, else /usr/share/phantom, else server/ beside the executable's source).
struct Context {
    ServerConfig config;
    DataFiles files;
    std::filesystem::path template_dir;
};

/// Loads server.toml and the environment for `data_dir`. Throws phantom::Fatal(78) on bad settings.
Context open_context(const std::filesystem::path& data_dir, const sys::Environment& env);

/// Holds the data directory's exclusive lock (waits up to 10 s for another phantom-admin).
class DataLock {
public:
    explicit DataLock(const DataFiles& files);
    ~DataLock();
    DataLock(const DataLock&) = delete;
    DataLock& operator=(const DataLock&) = delete;

private:
    int m_fd = -1;
};

struct NewMember {
    std::string name;
    std::string ssh_key;                 ///< may be empty (added later with `user key`)
    std::optional<std::string> password; ///< nullopt = generate one
    std::optional<unsigned> max_sessions;
    std::optional<Rate> rate;
};

/// First start and every start: the data directories with their modes, server.toml when
/// missing, the SSH host key when missing (ssh-keygen), then render(). Throws phantom::Fatal.
void prepare(const Context& ctx);

/// Writes danted.conf (checked with `danted -V` before it replaces the live one), the
/// password file (0640 root:<dante_user's group>), authorized_keys and sshd_config, then
/// reloads danted when it runs. Never leaves a half-written file.
void render(const Context& ctx, const std::vector<Member>& members);

/// SIGHUP to the running danted (its pid file, command line verified); false when none runs.
bool reload_dante(const DataFiles& files);

/// Adds a member; returns the invite URI (design §3) with their password.
std::string add_member(const Context& ctx, const NewMember& member);
/// Removes, disables or enables a member; effective for new connections at once.
void delete_member(const Context& ctx, const std::string& name);
void set_member_enabled(const Context& ctx, const std::string& name, bool enabled);
/// Sets a new password (`password`, else a generated one); returns the new invite URI.
std::string set_member_password(const Context& ctx, const std::string& name,
                                std::optional<std::string> password);
/// The members, for `user list`.
std::vector<Member> list_members(const Context& ctx);

/// The invite URI for `name` with `password` and this server's host key.
std::string invite_uri(const Context& ctx, const std::string& name, const std::string& password);

} // namespace phantom::admin
