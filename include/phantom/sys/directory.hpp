// SPDX-License-Identifier: MIT
// An open directory: its entries, links and mode through one descriptor (the *at(2) calls).
#pragma once

#include <sys/types.h>

#include <phantom/sys/fs.hpp>

#include <array>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace phantom::sys {

/// What an entry is, as far as its own inode goes (a symlink is a link, whatever it points to).
enum class EntryKind { link, directory, other, unknown };

/// How Directory::for_each_entry() learns a kind that readdir(3) leaves out (DT_UNKNOWN).
enum class UnknownKinds {
    keep, ///< report EntryKind::unknown; no system call per entry
    lstat ///< ask fstatat(2) without following links; an entry that vanished stays unknown
};

/// One entry of a directory listing; `name` is valid only during the visit.
struct DirEntry {
    std::string_view name; ///< never "." or ".."; NUL-terminated, as readdir(3) gives it
    EntryKind kind = EntryKind::unknown;
    ino_t inode = 0;
};

/// fstat(2) of an open directory.
struct DirectoryStat {
    uid_t owner = 0;
    mode_t mode = 0; ///< permission bits only (07777)
    dev_t device = 0;
    ino_t inode = 0;
    std::int64_t mtime_ns = 0; ///< last modification of the entry list, ns since the epoch
};

/// A buffer for Directory::read_link() that holds any target the system resolves.
using LinkBuffer = std::array<char, PATH_MAX>;

/// An open directory, owning its descriptor and listing stream. Every name argument is an
/// entry name (or a path) relative to this directory, so a rename of the directory itself
/// between calls cannot redirect them. Errors are errno values in system_category(). A
/// moved-from Directory may only be destroyed or assigned to.
class Directory {
public:
    /// Opens `path` for listing and *at(2) calls, close-on-exec; a non-directory fails with
    /// ENOTDIR. With `follow_final_symlink` false, a final symlink is refused instead of
    /// followed (ELOOP, or ENOTDIR on Linux).
    static Result<Directory> open(const std::filesystem::path& path, bool follow_final_symlink);

    Directory(Directory&& other) noexcept;
    Directory& operator=(Directory&& other) noexcept;
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;
    ~Directory();

    /// fstat(2) of the directory itself.
    Result<DirectoryStat> stat() const;

    /// fchmod(2) of the directory itself.
    Result<void> chmod(mode_t mode) const;

    /// Sets the directory's own modification time (futimens(2); access time unchanged).
    Result<void> set_mtime(std::int64_t mtime_ns) const;

    /// Calls `visit(const DirEntry&)` once per entry but "." and "..", in readdir(3) order,
    /// from the first entry on every call; entries added or removed meanwhile may or may not
    /// be seen. Fails on a read error after visiting the entries before it; an exception
    /// from `visit` propagates.
    template <class Visit>
    Result<void> for_each_entry(UnknownKinds unknown, Visit&& visit) {
        // A template, so that `visit` inlines into the caller's loop instead of being called
        // through a pointer per entry (the shadow home lists the home on every `phantom CMD`).
        start_listing();
        DirEntry entry;
        for (;;) {
            const Result<bool> more = next_entry(unknown, entry);
            if (!more) {
                return more.error();
            }
            if (!*more) {
                return {};
            }
            visit(std::as_const(entry));
        }
    }

    /// readlinkat(2) into `buffer`; the view points into it. A target that fills the whole
    /// buffer may have been cut short and fails with ENAMETOOLONG; EINVAL means `name` is not
    /// a symlink.
    Result<std::string_view> read_link(std::string_view name, std::span<char> buffer) const;

    /// read_link() of an entry being visited, whose NUL-terminated name goes to the system
    /// without a copy; for loops over many entries.
    Result<std::string_view> read_link(const DirEntry& entry, std::span<char> buffer) const;

    /// symlinkat(2): creates `name` pointing to `target`; EEXIST when `name` exists.
    Result<void> symlink(std::string_view target, std::string_view name) const;

    /// renameat(2) within this directory: atomically replaces `to` when it exists.
    Result<void> rename(std::string_view from, std::string_view to) const;

    /// unlinkat(2) of a non-directory entry; ENOENT when it is already gone.
    Result<void> unlink(std::string_view name) const;

private:
    struct StreamCloser {
        void operator()(void* stream) const noexcept;
    };

    Directory(void* stream, int fd) noexcept;
    void start_listing() noexcept;
    Result<bool> next_entry(UnknownKinds unknown, DirEntry& entry);

    std::unique_ptr<void, StreamCloser> m_stream; ///< the DIR*, which owns m_fd
    int m_fd = -1;
    bool m_listed = false; ///< a later listing rewinds first
};

/// mkdir(2) of one directory with `mode` (less the umask). Fails with EEXIST when anything,
/// even a dangling symlink, is at `path`, and with ENOENT when its parent is missing.
Result<void> make_directory(const std::filesystem::path& path, mode_t mode);

/// The login name of `uid` from the user database, or the number itself when it has none.
std::string user_name(uid_t uid);

} // namespace phantom::sys
