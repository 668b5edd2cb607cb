// SPDX-License-Identifier: MIT
// The shadow home: kept private, mirrored from the real home as symlinks, repaired, refused when unsafe.
#include <phantom/error.hpp>
#include <phantom/session/sandbox.hpp>
#include <phantom/sys/directory.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phantom::session {
namespace {

constexpr mode_t k_shadow_mode = 0700;
constexpr std::chrono::seconds k_settle{2};
constexpr std::string_view k_temp_link_prefix = ".phantom-link.";

using boost::system::error_code;
using boost::system::errc::file_exists;
using boost::system::errc::invalid_argument;
using boost::system::errc::no_such_file_or_directory;

[[noreturn]] void refuse(std::string message, std::string hint = {}) {
    throw Fatal(exit_code::k_config, std::move(message), std::move(hint));
}

std::string shell_quote(std::string_view text) {
    const bool safe = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("/._-+,:=@%").find(c) != std::string_view::npos;
    });
    if (safe) {
        return std::string(text);
    }
    std::string quoted = "'";
    for (const char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    quoted += '\'';
    return quoted;
}

// "/home/u/" and "/home/u/." must compare equal to "/home/u", without touching the disk.
std::filesystem::path normalized(const std::filesystem::path& path) {
    std::filesystem::path normal = path.lexically_normal();
    if (!normal.has_filename() && normal.has_relative_path()) {
        normal = normal.parent_path();
    }
    return normal;
}

bool is_plain_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

void validate(const SandboxLayout& layout, const std::string& real, const std::string& shadow) {
    if (!layout.real_home.is_absolute()) {
        refuse(fmt::format("home directory \"{}\" is not an absolute path", layout.real_home.string()),
               "set HOME to the absolute path of your home directory");
    }
    if (!layout.shadow_home.is_absolute()) {
        refuse(fmt::format("shadow home \"{}\" is not an absolute path", layout.shadow_home.string()),
               "use an absolute path for the shadow home, e.g. ~/.phantom_env");
    }
    if (real == shadow) {
        refuse(fmt::format("shadow home {} is the real home itself", shadow),
               "use a separate directory for the shadow home, e.g. ~/.phantom_env");
    }
    // Otherwise the home's parent (often /home or /Users) would be chmod'ed 0700 and filled.
    if (real.size() > shadow.size() && real.compare(0, shadow.size(), shadow) == 0 &&
        (shadow.back() == '/' || real[shadow.size()] == '/')) {
        refuse(fmt::format("shadow home {} contains the real home {}", shadow, real),
               "use a separate directory for the shadow home, e.g. ~/.phantom_env");
    }
    for (const std::string& name : layout.isolated) {
        if (!is_plain_name(name)) {
            refuse(fmt::format("isolated name \"{}\" is not a plain entry name of the home directory", name),
                   "list bare names such as .claude or .claude.json (no '/', not '.' or '..')");
        }
    }
}

// Called once open(O_NOFOLLOW | O_DIRECTORY) failed: lstat tells the user which unsafe state
// it is, since ELOOP/ENOTDIR alone cannot say whether a parent or the entry itself is wrong.
[[noreturn]] void explain_unusable_shadow(const std::string& shadow, const error_code& open_error) {
    const auto status = sys::file_status(shadow);
    if (status && status->is_symlink) {
        refuse(fmt::format("shadow home {} is a symlink; refusing to follow it", shadow),
               fmt::format("rm {} (phantom recreates it as a private directory)", shell_quote(shadow)));
    }
    if (status && status->exists && !status->is_directory) {
        refuse(
            fmt::format("shadow home {} is not a directory", shadow),
            fmt::format("mv {0} {0}.bak (phantom recreates it as a private directory)", shell_quote(shadow)));
    }
    refuse(fmt::format("cannot open shadow home {}: {}", shadow, open_error.message()));
}

void create_shadow_dir(const std::string& shadow) {
    auto made = sys::make_directory(shadow, k_shadow_mode);
    if (made || made.error() == file_exists) {
        return;
    }
    if (made.error() == no_such_file_or_directory) {
        const std::filesystem::path parent = std::filesystem::path(shadow).parent_path();
        if (const auto parent_made = sys::ensure_private_dir(parent, k_shadow_mode); !parent_made) {
            refuse(fmt::format("cannot create {}: {}", parent.string(), parent_made.error().message()));
        }
        made = sys::make_directory(shadow, k_shadow_mode);
        if (made || made.error() == file_exists) {
            return;
        }
    }
    refuse(fmt::format("cannot create shadow home {}: {}", shadow, made.error().message()));
}

// Returns the shadow home opened without following a final symlink; created_home tells
// whether this call made it.
sys::Directory open_shadow(const std::filesystem::path& shadow_path, bool& created_home) {
    const std::string& shadow = shadow_path.native();
    auto dir = sys::Directory::open(shadow_path, false);
    if (!dir && dir.error() == no_such_file_or_directory) {
        create_shadow_dir(shadow);
        created_home = true;
        dir = sys::Directory::open(shadow_path, false);
    }
    if (!dir) {
        explain_unusable_shadow(shadow, dir.error());
    }
    return std::move(*dir);
}

sys::Directory open_real_home(const std::filesystem::path& real_path) {
    const std::string& real = real_path.native();
    // The real home itself may legitimately be a symlink (/home -> /usr/home), so follow it.
    auto dir = sys::Directory::open(real_path, true);
    if (!dir) {
        refuse(fmt::format("cannot open home directory {}: {}", real, dir.error().message()),
               "set HOME to your home directory");
    }
    return std::move(*dir);
}

sys::DirectoryStat stat_of(const sys::Directory& dir, const std::string& path) {
    const auto st = dir.stat();
    if (!st) {
        refuse(fmt::format("cannot stat {}: {}", path, st.error().message()));
    }
    return *st;
}

template <class Visit>
void for_each_entry(sys::Directory& dir, const std::string& path, sys::UnknownKinds unknown, Visit&& visit) {
    if (const auto read = dir.for_each_entry(unknown, std::forward<Visit>(visit)); !read) {
        refuse(fmt::format("cannot read directory {}: {}", path, read.error().message()));
    }
}

class ShadowWriter {
public:
    ShadowWriter(const sys::Directory& dir, std::string_view shadow) : m_dir(dir), m_shadow(shadow) {}

    // Returns false when another phantom run created the entry first; that run's link is as good.
    bool create(const std::string& name, const std::string& target) {
        const auto made = m_dir.symlink(target, name);
        if (made) {
            return true;
        }
        if (made.error() == file_exists) {
            return false;
        }
        fail("create link", name, made.error());
    }

    // A process reading the shadow home concurrently sees the old link or the new one, never
    // a missing entry: the new link is made under a temp name and renamed over the old one.
    void replace(const std::string& name, const std::string& target) {
        const std::string temp =
            fmt::format("{}{}.{}", k_temp_link_prefix, sys::current_pid(), m_temp_counter++);
        auto made = m_dir.symlink(target, temp);
        if (!made && made.error() == file_exists) {
            // A leftover of a killed run whose pid was recycled.
            made = m_dir.unlink(temp);
            if (made) {
                made = m_dir.symlink(target, temp);
            }
        }
        if (!made) {
            fail("create link", temp, made.error());
        }
        if (const auto renamed = m_dir.rename(temp, name); !renamed) {
            (void)m_dir.unlink(temp);
            fail("replace link", name, renamed.error());
        }
    }

    // Returns false when the link was already gone.
    bool remove(const std::string& name) {
        const auto removed = m_dir.unlink(name);
        if (removed) {
            return true;
        }
        if (removed.error() == no_such_file_or_directory) {
            return false;
        }
        fail("remove link", name, removed.error());
    }

private:
    [[noreturn]] void fail(std::string_view what, const std::string& name, const error_code& error) const {
        const std::string path = (std::filesystem::path(m_shadow) / name).string();
        refuse(fmt::format("cannot {} {}: {}", what, path, error.message()),
               fmt::format("check that you own {} and it is writable", shell_quote(m_shadow)));
    }

    const sys::Directory& m_dir;
    std::string_view m_shadow;
    unsigned m_temp_counter = 0;
};

struct PendingChange {
    std::string name;
    bool remove = false; ///< otherwise re-point to the real entry
};

} // namespace

SandboxReport ensure_shadow_home(const SandboxLayout& layout) {
    const std::filesystem::path real_path = normalized(layout.real_home);
    const std::filesystem::path shadow_path = normalized(layout.shadow_home);
    const std::string& real = real_path.native();
    const std::string& shadow = shadow_path.native();
    validate(layout, real, shadow);

    const auto is_isolated = [&](std::string_view name) {
        return std::find(layout.isolated.begin(), layout.isolated.end(), name) != layout.isolated.end();
    };

    SandboxReport report;
    sys::Directory shadow_dir = open_shadow(shadow_path, report.created_home);
    const sys::DirectoryStat shadow_st = stat_of(shadow_dir, shadow);
    const uid_t uid = sys::current_uid();
    if (shadow_st.owner != uid) {
        refuse(fmt::format("shadow home {} is owned by {} (uid {}), not by you (uid {})", shadow,
                           sys::user_name(shadow_st.owner), shadow_st.owner, uid),
               fmt::format("sudo chown -R {} {}", shell_quote(sys::user_name(uid)), shell_quote(shadow)));
    }
    sys::Directory real_dir = open_real_home(real_path);
    const sys::DirectoryStat real_st = stat_of(real_dir, real);
    if (real_st.device == shadow_st.device && real_st.inode == shadow_st.inode) {
        refuse(fmt::format("shadow home {} is the real home {} itself", shadow, real),
               "use a separate directory for the shadow home, e.g. ~/.phantom_env");
    }

    if (shadow_st.mode != k_shadow_mode) {
        if (const auto changed = shadow_dir.chmod(k_shadow_mode); !changed) {
            refuse(fmt::format("cannot chmod 700 shadow home {}: {}", shadow, changed.error().message()));
        }
        // A fresh directory only differs from 0700 because of the umask; that is not a fix.
        report.fixed_mode = !report.created_home;
    }

    // Steady state, the hot path of every `phantom CMD`: the last full pass stamped the shadow
    // home's mtime with the real home's. Adding, removing or renaming an entry updates a
    // directory's mtime (POSIX), so while both still carry the stamp neither list changed
    // and the pass (one readlink per entry) can be skipped. A real-home change younger than
    // k_settle may share a coarse timestamp tick with a later one: never trusted, never stamped.
    const bool settled =
        std::chrono::system_clock::now().time_since_epoch() - std::chrono::nanoseconds(real_st.mtime_ns) >
        k_settle;
    if (settled && !report.created_home && !report.fixed_mode && shadow_st.mtime_ns == real_st.mtime_ns) {
        return report;
    }

    // The shadow home's own entry in the real home, when it lives there, must not be mirrored
    // into itself. The name catches the usual spelling; the inode catches other spellings.
    const std::string self_name =
        normalized(shadow_path.parent_path()).native() == real ? shadow_path.filename().string() : "";
    const bool same_device = real_st.device == shadow_st.device;

    // Only names are needed: a link to any kind of entry is made the same way, so the real
    // home is never stat'ed, and its isolated entries are never even opened.
    std::vector<std::string> mirrored;
    mirrored.reserve(128);
    for_each_entry(real_dir, real, sys::UnknownKinds::keep, [&](const sys::DirEntry& entry) {
        if (entry.name == self_name || (same_device && entry.inode == shadow_st.inode) ||
            is_isolated(entry.name)) {
            return;
        }
        mirrored.emplace_back(entry.name);
    });
    std::sort(mirrored.begin(), mirrored.end());
    const auto find_mirrored = [&](std::string_view name) -> std::size_t {
        const auto it = std::lower_bound(mirrored.begin(), mirrored.end(), name);
        return it != mirrored.end() && *it == name ? static_cast<std::size_t>(it - mirrored.begin())
                                                   : mirrored.size();
    };

    std::string prefix = real;
    if (prefix.back() != '/') {
        prefix += '/';
    }
    std::string expected = prefix;
    const auto target_of = [&](std::string_view name) -> const std::string& {
        expected.resize(prefix.size());
        expected.append(name);
        return expected;
    };

    // Decide everything before changing anything: a refusal then leaves the shadow home as it
    // was, and readdir(3) is unspecified for entries added or removed during the scan.
    std::vector<bool> present(mirrored.size(), false);
    std::vector<PendingChange> changes;
    sys::LinkBuffer link_buffer{};
    for_each_entry(shadow_dir, shadow, sys::UnknownKinds::lstat, [&](const sys::DirEntry& entry) {
        // Still unknown: the entry could not be lstat'ed, most likely removed meanwhile.
        if (entry.kind == sys::EntryKind::unknown) {
            return;
        }
        const std::string_view name = entry.name;
        const bool is_link = entry.kind == sys::EntryKind::link;
        if (is_isolated(name)) {
            if (is_link) {
                const std::string path = (shadow_path / name).string();
                refuse(
                    fmt::format("{} is a symlink, but {} must stay isolated from the real home", path, name),
                    fmt::format("rm {} (the program recreates it inside the shadow home)",
                                shell_quote(path)));
            }
            return;
        }
        const std::size_t index = find_mirrored(name);
        const bool is_mirror_slot = index < mirrored.size();
        if (is_mirror_slot) {
            // A link or a file of the shadow's own: either way the slot needs no new link.
            present[index] = true;
        }
        if (!is_link) {
            return;
        }
        const auto link = shadow_dir.read_link(entry, link_buffer);
        if (!link) {
            if (link.error() == boost::system::errc::filename_too_long) {
                // Truncated: longer than any link phantom makes, so it is not one of ours.
                if (is_mirror_slot) {
                    changes.push_back({std::string(name), false});
                }
                return;
            }
            if (link.error() == no_such_file_or_directory || link.error() == invalid_argument) {
                return;
            }
            refuse(fmt::format("cannot read link {}: {}", (shadow_path / name).string(),
                               link.error().message()));
        }
        const std::string_view target = *link;
        if (is_mirror_slot) {
            if (target != target_of(name)) {
                changes.push_back({std::string(name), false});
            }
            return;
        }
        // Not a mirror slot: remove it only when it is a dangling link into the real home,
        // i.e. one phantom made for an entry that has since gone. Anything else is the user's.
        if (target.size() > prefix.size() && target.substr(0, prefix.size()) == prefix) {
            const std::string_view pointed = target.substr(prefix.size());
            if (is_plain_name(pointed) && find_mirrored(pointed) == mirrored.size()) {
                changes.push_back({std::string(name), true});
            }
        }
    });

    ShadowWriter writer(shadow_dir, shadow);
    for (const PendingChange& change : changes) {
        if (change.remove) {
            report.removed_links += writer.remove(change.name) ? 1 : 0;
        } else {
            writer.replace(change.name, target_of(change.name));
            ++report.repaired_links;
        }
    }
    for (std::size_t i = 0; i < mirrored.size(); ++i) {
        if (!present[i] && writer.create(mirrored[i], target_of(mirrored[i]))) {
            ++report.created_links;
        }
    }
    if (settled) {
        // Best effort: without the stamp the next run just does the full pass again.
        (void)shadow_dir.set_mtime(real_st.mtime_ns);
    }
    return report;
}

} // namespace phantom::session
