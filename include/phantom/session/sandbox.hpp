// SPDX-License-Identifier: MIT
// The shadow home: a 0700 directory that mirrors the real home as symlinks, except for the
// isolated names, which are real files of its own.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace phantom::session {

struct SandboxLayout {
    std::filesystem::path real_home;
    std::filesystem::path shadow_home; ///< absolute; must not be the real home itself
    std::vector<std::string> isolated; ///< plain entry names (no '/'), e.g. ".claude"
};

/// What ensure_shadow_home() changed; all zero on a steady-state run.
struct SandboxReport {
    int created_links = 0;  ///< new entries of the real home mirrored
    int repaired_links = 0; ///< links that pointed elsewhere, re-pointed
    int removed_links = 0;  ///< links whose real entry disappeared
    bool created_home = false;
    bool fixed_mode = false;
};

/// Creates or repairs the shadow home: 0700, one symlink per real-home entry (absolute
/// target), dangling mirror links removed, isolated names never linked. Files the shadow
/// home holds of its own are never deleted. The real isolated entries are never read,
/// written or linked. Refuses (phantom::Fatal, exit 78, with the fix) when the shadow home
/// is a symlink or not a directory, is owned by another user, or an isolated name in it is
/// a symlink.
SandboxReport ensure_shadow_home(const SandboxLayout& layout);

} // namespace phantom::session
