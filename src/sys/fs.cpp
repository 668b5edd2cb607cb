// SPDX-License-Identifier: MIT
// File-system primitives with explicit modes: atomic writes, private directories, owner checks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/sys/fs.hpp>

#include <cerrno>
#include <cstdio>
#include <string>

#include "sys/posix.hpp"

namespace phantom::sys {
namespace {

using Fd = posix::UniqueFd;
using posix::last_error;

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode,
                               std::optional<gid_t> group) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    // mkstemp creates 0600; fchmod to the requested mode before any byte is written so a
    // secret is never briefly readable by others.
    std::string tmp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    Fd fd(::mkstemp(tmp.data()));
    if (fd.get() < 0) {
        return last_error();
    }
    auto fail = [&]() -> Result<void> {
        const auto ec = last_error();
        ::unlink(tmp.c_str());
        return ec;
    };
    // The group too, before the rename: the file must never be in place with another owner.
    if (group && ::fchown(fd.get(), static_cast<uid_t>(-1), *group) != 0) {
        return fail();
    }
    if (::fchmod(fd.get(), mode) != 0 || !write_all(fd.get(), content) || ::fsync(fd.get()) != 0) {
        return fail();
    }
    if (::close(fd.release()) != 0) {
        return fail();
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return fail();
    }
    // The rename is durable only once the directory entry is on disk.
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() >= 0) {
        ::fsync(dir_fd.get());
    }
    return {};
}

Result<std::string> read_file(const std::filesystem::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return last_error();
    }
    std::string out;
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        if (n == 0) {
            break;
        }
        out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
}

Result<void> ensure_private_dir(const std::filesystem::path& dir, mode_t mode) {
    auto status = file_status(dir);
    if (!status) {
        return status.error();
    }
    if (!status->exists) {
        if (dir.has_parent_path() && dir.parent_path() != dir) {
            auto parent = file_status(dir.parent_path());
            if (parent && !parent->exists) {
                if (auto r = ensure_private_dir(dir.parent_path(), mode); !r) {
                    return r;
                }
            }
        }
        if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
            return last_error();
        }
        status = file_status(dir);
        if (!status) {
            return status.error();
        }
    }
    if (status->is_symlink || !status->is_directory) {
        return boost::system::error_code(ENOTDIR, boost::system::system_category());
    }
    if (status->mode != mode && ::chmod(dir.c_str(), mode) != 0) {
        return last_error();
    }
    return {};
}

Result<FileStatus> file_status(const std::filesystem::path& path, bool follow_symlink) {
    struct stat st {};
    const int rc = follow_symlink ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return FileStatus{};
        }
        return last_error();
    }
    FileStatus status;
    status.exists = true;
    status.is_symlink = S_ISLNK(st.st_mode);
    status.is_directory = S_ISDIR(st.st_mode);
    status.mode = st.st_mode & 07777;
    status.owner = st.st_uid;
    return status;
}

Result<void> append_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode));
    if (fd.get() < 0 || !write_all(fd.get(), content)) {
        return last_error();
    }
    if (::close(fd.release()) != 0) {
        return last_error();
    }
    return {};
}

} // namespace phantom::sys
