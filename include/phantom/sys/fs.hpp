// SPDX-License-Identifier: MIT
// File-system primitives with explicit modes: atomic writes, private directories, owner checks.
#pragma once

#include <sys/types.h>

#include <boost/system/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace phantom::sys {

template <class T>
using Result = boost::system::result<T>;

/// Writes `content` to a temp file beside `path` created with `mode`, fsyncs it and renames
/// it over `path` (then fsyncs the directory). Readers see the old or the new file, never a
/// half-written one; the temp file is removed on failure. With `group`, the file has that
/// group before it replaces `path`.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode,
                               std::optional<gid_t> group = std::nullopt);

/// Reads a whole file.
Result<std::string> read_file(const std::filesystem::path& path);

/// Creates `dir` (and missing parents with the same mode) when absent and makes sure it is
/// a real directory, not a symlink, with exactly `mode`.
Result<void> ensure_private_dir(const std::filesystem::path& dir, mode_t mode);

/// What lstat(2) says about a path, without following a final symlink.
struct FileStatus {
    bool exists = false;
    bool is_symlink = false;
    bool is_directory = false;
    mode_t mode = 0; ///< permission bits only
    uid_t owner = 0;
};

/// lstat(2) as a value (stat(2) when `follow_symlink`); a missing path is
/// `exists == false`, not an error.
Result<FileStatus> file_status(const std::filesystem::path& path, bool follow_symlink = false);

/// Appends `content` to `path` in one write, creating it with `mode` when missing. Never
/// truncates or rewrites what is there (for files the user owns, such as a shell rc).
Result<void> append_file(const std::filesystem::path& path, std::string_view content, mode_t mode);

} // namespace phantom::sys
