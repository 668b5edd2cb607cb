// SPDX-License-Identifier: MIT
// The shadow home: kept private, mirrored from the real home as symlinks, repaired, refused when unsafe.
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/error.hpp>
#include <phantom/session/sandbox.hpp>
#include <phantom/sys/fs.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phantom::session {
namespace {

constexpr mode_t k_shadow_mode = 0700;
constexpr std::string_view k_temp_link_prefix = ".phantom-link.";

struct DirCloser {
    void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

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

std::string user_name(uid_t uid) {
    std::array<char, 4096> buffer{};
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
        return found->pw_name;
    }
    return std::to_string(uid);
}

// "/home/u/" and "/home/u/." must compare equal to "/home/u", without touching the disk.
std::string normalized(const std::filesystem::path& path) {
    std::filesystem::path normal = path.lexically_normal();
    if (!normal.has_filename() && normal.has_relative_path()) {
        normal = normal.parent_path();
    }
    return normal.string();
}

bool is_plain_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

bool is_dot_entry(std::string_view name) {
    return name == "." || name == "..";
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

int open_dir_nofollow(const std::string& path) {
    return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// Called once open(O_NOFOLLOW | O_DIRECTORY) failed: lstat tells the user which unsafe state
// it is, since ELOOP/ENOTDIR alone cannot say whether a parent or the entry itself is wrong.
[[noreturn]] void explain_unusable_shadow(const std::string& shadow, int open_error) {
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
    refuse(fmt::format("cannot open shadow home {}: {}", shadow, std::strerror(open_error)));
}

void create_shadow_dir(const std::string& shadow) {
    if (::mkdir(shadow.c_str(), k_shadow_mode) == 0 || errno == EEXIST) {
        return;
    }
    if (errno == ENOENT) {
        const std::filesystem::path parent = std::filesystem::path(shadow).parent_path();
        if (const auto made = sys::ensure_private_dir(parent, k_shadow_mode); !made) {
            refuse(fmt::format("cannot create {}: {}", parent.string(), made.error().message()));
        }
        if (::mkdir(shadow.c_str(), k_shadow_mode) == 0 || errno == EEXIST) {
            return;
        }
    }
    refuse(fmt::format("cannot create shadow home {}: {}", shadow, std::strerror(errno)));
}

// Returns the shadow home opened without following a final symlink; created_home tells
// whether this call made it.
DirHandle open_shadow(const std::string& shadow, bool& created_home) {
    int fd = open_dir_nofollow(shadow);
    if (fd < 0 && errno == ENOENT) {
        create_shadow_dir(shadow);
        created_home = true;
        fd = open_dir_nofollow(shadow);
    }
    if (fd < 0) {
        explain_unusable_shadow(shadow, errno);
    }
    DirHandle dir(::fdopendir(fd));
    if (!dir) {
        const int error = errno;
        ::close(fd);
        refuse(fmt::format("cannot read shadow home {}: {}", shadow, std::strerror(error)));
    }
    return dir;
}

DirHandle open_real_home(const std::string& real) {
    // The real home itself may legitimately be a symlink (/home -> /usr/home), so follow it.
    const int fd = ::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        refuse(fmt::format("cannot open home directory {}: {}", real, std::strerror(errno)),
               "set HOME to your home directory");
    }
    DirHandle dir(::fdopendir(fd));
    if (!dir) {
        const int error = errno;
        ::close(fd);
        refuse(fmt::format("cannot read home directory {}: {}", real, std::strerror(error)));
    }
    return dir;
}

struct stat stat_of(DIR* dir, const std::string& path) {
    struct stat st {};
    if (::fstat(::dirfd(dir), &st) != 0) {
        refuse(fmt::format("cannot stat {}: {}", path, std::strerror(errno)));
    }
    return st;
}

template <class Visit>
void for_each_entry(DIR* dir, const std::string& path, Visit&& visit) {
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
            if (errno != 0) {
                refuse(fmt::format("cannot read directory {}: {}", path, std::strerror(errno)));
            }
            return;
        }
        const std::string_view name = entry->d_name;
        if (!is_dot_entry(name)) {
            visit(*entry, name);
        }
    }
}

class ShadowWriter {
public:
    ShadowWriter(int dir_fd, std::string_view shadow) : m_dir_fd(dir_fd), m_shadow(shadow) {}

    // Returns false when another phantom run created the entry first; that run's link is as good.
    bool create(const std::string& name, const std::string& target) {
        if (::symlinkat(target.c_str(), m_dir_fd, name.c_str()) == 0) {
            return true;
        }
        if (errno == EEXIST) {
            return false;
        }
        fail("create link", name);
    }

    // A process reading the shadow home concurrently sees the old link or the new one, never
    // a missing entry: the new link is made under a temp name and renamed over the old one.
    void replace(const std::string& name, const std::string& target) {
        const std::string temp = fmt::format("{}{}.{}", k_temp_link_prefix, ::getpid(), m_temp_counter++);
        if (::symlinkat(target.c_str(), m_dir_fd, temp.c_str()) != 0) {
            // EEXIST: a leftover of a killed run whose pid was recycled.
            if (errno != EEXIST || ::unlinkat(m_dir_fd, temp.c_str(), 0) != 0 ||
                ::symlinkat(target.c_str(), m_dir_fd, temp.c_str()) != 0) {
                fail("create link", temp);
            }
        }
        if (::renameat(m_dir_fd, temp.c_str(), m_dir_fd, name.c_str()) != 0) {
            const int error = errno;
            ::unlinkat(m_dir_fd, temp.c_str(), 0);
            errno = error;
            fail("replace link", name);
        }
    }

    // Returns false when the link was already gone.
    bool remove(const std::string& name) {
        if (::unlinkat(m_dir_fd, name.c_str(), 0) == 0) {
            return true;
        }
        if (errno == ENOENT) {
            return false;
        }
        fail("remove link", name);
    }

private:
    [[noreturn]] void fail(std::string_view what, const std::string& name) const {
        const std::string path = (std::filesystem::path(m_shadow) / name).string();
        refuse(fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)),
               fmt::format("check that you own {} and it is writable", shell_quote(m_shadow)));
    }

    int m_dir_fd;
    std::string_view m_shadow;
    unsigned m_temp_counter = 0;
};

struct PendingChange {
    std::string name;
    bool remove = false; ///< otherwise re-point to the real entry
};

} // namespace

SandboxReport ensure_shadow_home(const SandboxLayout& layout) {
    const std::string real = normalized(layout.real_home);
    const std::string shadow = normalized(layout.shadow_home);
    validate(layout, real, shadow);

    const auto is_isolated = [&](std::string_view name) {
        return std::find(layout.isolated.begin(), layout.isolated.end(), name) != layout.isolated.end();
    };

    SandboxReport report;
    const DirHandle shadow_dir = open_shadow(shadow, report.created_home);
    const int shadow_fd = ::dirfd(shadow_dir.get());
    const struct stat shadow_st = stat_of(shadow_dir.get(), shadow);
    if (shadow_st.st_uid != ::geteuid()) {
        refuse(fmt::format("shadow home {} is owned by {} (uid {}), not by you (uid {})", shadow,
                           user_name(shadow_st.st_uid), shadow_st.st_uid, ::geteuid()),
               fmt::format("sudo chown -R {} {}", shell_quote(user_name(::geteuid())), shell_quote(shadow)));
    }
    const DirHandle real_dir = open_real_home(real);
    const struct stat real_st = stat_of(real_dir.get(), real);
    if (real_st.st_dev == shadow_st.st_dev && real_st.st_ino == shadow_st.st_ino) {
        refuse(fmt::format("shadow home {} is the real home {} itself", shadow, real),
               "use a separate directory for the shadow home, e.g. ~/.phantom_env");
    }

    if ((shadow_st.st_mode & 07777) != k_shadow_mode) {
        if (::fchmod(shadow_fd, k_shadow_mode) != 0) {
            refuse(fmt::format("cannot chmod 700 shadow home {}: {}", shadow, std::strerror(errno)));
        }
        // A fresh directory only differs from 0700 because of the umask; that is not a fix.
        report.fixed_mode = !report.created_home;
    }

    // The shadow home's own entry in the real home, when it lives there, must not be mirrored
    // into itself. The name catches the usual spelling; the inode catches other spellings.
    const std::filesystem::path shadow_path(shadow);
    const std::string self_name =
        normalized(shadow_path.parent_path()) == real ? shadow_path.filename().string() : "";
    const bool same_device = real_st.st_dev == shadow_st.st_dev;

    // Only names are needed: a link to any kind of entry is made the same way, so the real
    // home is never stat'ed, and its isolated entries are never even opened.
    std::vector<std::string> mirrored;
    mirrored.reserve(128);
    for_each_entry(real_dir.get(), real, [&](const dirent& entry, std::string_view name) {
        if (name == self_name || (same_device && entry.d_ino == shadow_st.st_ino) || is_isolated(name)) {
            return;
        }
        mirrored.emplace_back(name);
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
    std::array<char, PATH_MAX> link_buffer{};
    for_each_entry(shadow_dir.get(), shadow, [&](const dirent& entry, std::string_view name) {
        bool is_link = entry.d_type == DT_LNK;
        if (entry.d_type == DT_UNKNOWN) {
            // Some file systems (older XFS, some network ones) do not fill in d_type.
            struct stat st {};
            if (::fstatat(shadow_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                return;
            }
            is_link = S_ISLNK(st.st_mode);
        }
        if (is_isolated(name)) {
            if (is_link) {
                const std::string path = (shadow_path / entry.d_name).string();
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
        const ssize_t length = ::readlinkat(shadow_fd, entry.d_name, link_buffer.data(), link_buffer.size());
        if (length < 0) {
            if (errno == ENOENT || errno == EINVAL) {
                return;
            }
            refuse(fmt::format("cannot read link {}: {}", (shadow_path / entry.d_name).string(),
                               std::strerror(errno)));
        }
        if (static_cast<std::size_t>(length) == link_buffer.size()) {
            // Truncated: longer than any link phantom makes, so it is not one of ours.
            if (is_mirror_slot) {
                changes.push_back({std::string(name), false});
            }
            return;
        }
        const std::string_view target(link_buffer.data(), static_cast<std::size_t>(length));
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

    ShadowWriter writer(shadow_fd, shadow);
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
    return report;
}

} // namespace phantom::session
