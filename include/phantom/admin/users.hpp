// SPDX-License-Identifier: MIT
// The team's members: users.json under an exclusive lock, hashed passwords, SSH keys, limits.
#pragma once

#include <phantom/admin/server_config.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace phantom::admin {

struct Member {
    std::string name;
    std::string password_hash; ///< crypt(3) string; never the password
    std::string ssh_key;       ///< "TYPE BASE64 [comment]"; empty = none yet
    bool enabled = true;
    std::optional<unsigned> max_sessions; ///< nullopt = the server default
    std::optional<Rate> rate;             ///< nullopt = the server default
    std::int64_t created_at = 0;          ///< unix seconds
};

/// A crypt(3) hash of `password` with the system's preferred method (crypt_gensalt with no
/// prefix: yescrypt on Debian 12) and a fresh salt. Throws phantom::Error when libcrypt fails.
std::string hash_password(const std::string& password);

/// True when `password` matches `hash` (crypt_r and a constant-time compare).
bool password_matches(const std::string& password, const std::string& hash);

/// A strong random password for a new member or a rotation: 24 URL-safe characters (144 bits).
std::string generate_password();

/// The members, as stored in users.json (0600). Reading never throws on a missing file (no
/// members yet); a malformed file is phantom::Fatal(78) naming it.
std::vector<Member> read_members(const std::filesystem::path& file);

/// Writes users.json atomically (temp file, fsync, rename) with mode 0600.
void write_members(const std::filesystem::path& file, const std::vector<Member>& members);

/// The member named `name`, or nullptr.
Member* find_member(std::vector<Member>& members, std::string_view name);

} // namespace phantom::admin
