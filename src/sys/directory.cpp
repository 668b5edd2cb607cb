// SPDX-License-Identifier: MIT
// An open directory: its entries, links and mode through one descriptor (the *at(2) calls).
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/sys/directory.hpp>

#include <cerrno>
#include <cstring>
#include <utility>

#include "sys/posix.hpp"

namespace phantom::sys {
namespace {

using posix::error_of;
using posix::last_error;

// A NUL-terminated copy of a name for the *at(2) calls, on the stack rather than the heap.
class CName {
public:
    explicit CName(std::string_view text) noexcept {
        if (text.size() >= m_buffer.size()) {
            m_error = ENAMETOOLONG;
        } else if (text.find('\0') != std::string_view::npos) {
            m_error = EINVAL;
        } else {
            std::memcpy(m_buffer.data(), text.data(), text.size());
            m_buffer[text.size()] = '\0';
        }
    }
    CName(const CName&) = delete;
    CName& operator=(const CName&) = delete;

    [[nodiscard]] int error() const noexcept { return m_error; }
    [[nodiscard]] const char* c_str() const noexcept { return m_buffer.data(); }

private:
    std::array<char, PATH_MAX> m_buffer; // filled only up to the NUL
    int m_error = 0;
};

EntryKind kind_of_type(unsigned char type) {
    switch (type) {
    case DT_LNK:
        return EntryKind::link;
    case DT_DIR:
        return EntryKind::directory;
    case DT_UNKNOWN:
        return EntryKind::unknown;
    default:
        return EntryKind::other;
    }
}

// Kept out of next_entry(), whose frame then needs no struct stat: it runs once per entry.
[[gnu::noinline]] EntryKind kind_by_lstat(int dir_fd, const char* name) {
    struct stat st {};
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return EntryKind::unknown;
    }
    if (S_ISLNK(st.st_mode)) {
        return EntryKind::link;
    }
    return S_ISDIR(st.st_mode) ? EntryKind::directory : EntryKind::other;
}

} // namespace

void Directory::StreamCloser::operator()(void* stream) const noexcept {
    ::closedir(static_cast<DIR*>(stream));
}

Directory::Directory(void* stream, int fd) noexcept : m_stream(stream), m_fd(fd) {}

Directory::Directory(Directory&& other) noexcept
    : m_stream(std::move(other.m_stream)), m_fd(std::exchange(other.m_fd, -1)),
      m_listed(std::exchange(other.m_listed, false)) {}

Directory& Directory::operator=(Directory&& other) noexcept {
    m_stream = std::move(other.m_stream);
    m_fd = std::exchange(other.m_fd, -1);
    m_listed = std::exchange(other.m_listed, false);
    return *this;
}

Directory::~Directory() = default;

Result<Directory> Directory::open(const std::filesystem::path& path, bool follow_final_symlink) {
    const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow_final_symlink ? 0 : O_NOFOLLOW);
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) {
        return last_error();
    }
    DIR* stream = ::fdopendir(fd);
    if (stream == nullptr) {
        const auto error = last_error();
        ::close(fd);
        return error;
    }
    return Directory(stream, fd);
}

Result<DirectoryStat> Directory::stat() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) {
        return last_error();
    }
#if defined(__APPLE__)
    const timespec& mtime = st.st_mtimespec;
#else
    const timespec& mtime = st.st_mtim;
#endif
    return DirectoryStat{st.st_uid, static_cast<mode_t>(st.st_mode & 07777), st.st_dev, st.st_ino,
                         static_cast<std::int64_t>(mtime.tv_sec) * 1000000000 + mtime.tv_nsec};
}

Result<void> Directory::set_mtime(std::int64_t mtime_ns) const {
    const timespec times[2] = {
        {0, UTIME_OMIT},
        {static_cast<time_t>(mtime_ns / 1000000000), static_cast<long>(mtime_ns % 1000000000)}};
    if (::futimens(m_fd, times) != 0) {
        return last_error();
    }
    return {};
}

Result<void> Directory::chmod(mode_t mode) const {
    if (::fchmod(m_fd, mode) != 0) {
        return last_error();
    }
    return {};
}

void Directory::start_listing() noexcept {
    // Only a second listing pays for the lseek(2) of rewinddir(3).
    if (m_listed) {
        ::rewinddir(static_cast<DIR*>(m_stream.get()));
    }
    m_listed = true;
}

Result<bool> Directory::next_entry(UnknownKinds unknown, DirEntry& entry) {
    for (;;) {
        // readdir(3) signals an error only through errno.
        errno = 0;
        const dirent* next = ::readdir(static_cast<DIR*>(m_stream.get()));
        if (next == nullptr) {
            if (errno != 0) {
                // In place: an error_code converts to bool, which makes plain return ambiguous.
                return Result<bool>(boost::system::in_place_error, last_error());
            }
            return false;
        }
        const std::string_view name = next->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        EntryKind kind = kind_of_type(next->d_type);
        // Some file systems (older XFS, some network ones) do not fill in d_type.
        if (kind == EntryKind::unknown && unknown == UnknownKinds::lstat) {
            kind = kind_by_lstat(m_fd, next->d_name);
        }
        entry = DirEntry{name, kind, next->d_ino};
        return true;
    }
}

Result<std::string_view> Directory::read_link(std::string_view name, std::span<char> buffer) const {
    const CName c_name(name);
    if (c_name.error() != 0) {
        return error_of(c_name.error());
    }
    return read_link(DirEntry{std::string_view(c_name.c_str(), name.size())}, buffer);
}

Result<std::string_view> Directory::read_link(const DirEntry& entry, std::span<char> buffer) const {
    const ssize_t length = ::readlinkat(m_fd, entry.name.data(), buffer.data(), buffer.size());
    if (length < 0) {
        return last_error();
    }
    // readlink(2) truncates silently; a full buffer cannot be told from a cut target.
    if (static_cast<std::size_t>(length) == buffer.size()) {
        return error_of(ENAMETOOLONG);
    }
    return std::string_view(buffer.data(), static_cast<std::size_t>(length));
}

Result<void> Directory::symlink(std::string_view target, std::string_view name) const {
    const CName c_target(target);
    const CName c_name(name);
    if (const int error = c_target.error() != 0 ? c_target.error() : c_name.error(); error != 0) {
        return error_of(error);
    }
    if (::symlinkat(c_target.c_str(), m_fd, c_name.c_str()) != 0) {
        return last_error();
    }
    return {};
}

Result<void> Directory::rename(std::string_view from, std::string_view to) const {
    const CName c_from(from);
    const CName c_to(to);
    if (const int error = c_from.error() != 0 ? c_from.error() : c_to.error(); error != 0) {
        return error_of(error);
    }
    if (::renameat(m_fd, c_from.c_str(), m_fd, c_to.c_str()) != 0) {
        return last_error();
    }
    return {};
}

Result<void> Directory::unlink(std::string_view name) const {
    const CName c_name(name);
    if (c_name.error() != 0) {
        return error_of(c_name.error());
    }
    if (::unlinkat(m_fd, c_name.c_str(), 0) != 0) {
        return last_error();
    }
    return {};
}

Result<void> make_directory(const std::filesystem::path& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) != 0) {
        return last_error();
    }
    return {};
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

} // namespace phantom::sys
