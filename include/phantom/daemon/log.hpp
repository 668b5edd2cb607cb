// SPDX-License-Identifier: MIT
// The daemon's log, ~/.phantom/log/phantom.log: one timestamped line per event, size-capped.
#pragma once

#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

namespace phantom::daemon {

/// Appends lines "2026-11-28T23:05:01Z LEVEL event: detail" (UTC; ": detail" only when there
/// is one) to a file kept at mode 0600; the directory must exist. Control characters in
/// `event` and `detail` (newlines above all) become spaces, so one call is always one line and
/// a peer's error text cannot forge entries; lines are cut at 8 KiB. When a line would grow
/// the file past `max_bytes` the file is renamed to `<file>.1` (replacing the previous one)
/// and a new one is started: at most two files of at most max(max_bytes, one line) each.
/// Safe to call from several threads. Never throws: a log that cannot be written must not take the tunnel
/// down (failures are counted instead, and a line that cannot be rotated away is dropped rather than break
/// the cap).
class Log {
public:
    explicit Log(std::filesystem::path file, std::size_t max_bytes = 1024 * 1024);

    void info(std::string_view event, std::string_view detail = {});
    void warn(std::string_view event, std::string_view detail = {});
    void error(std::string_view event, std::string_view detail = {});

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_file; }
    /// Lines that could not be written since construction.
    [[nodiscard]] std::size_t write_failures() const noexcept { return m_failures; }

private:
    void write(std::string_view level, std::string_view event, std::string_view detail);

    std::filesystem::path m_file;
    std::size_t m_max_bytes;
    std::size_t m_failures = 0;
    std::mutex m_mutex;
};

/// The last `max_lines` lines of a log file, each ending in '\n', oldest first (for
/// `connect` to explain a failure). Reaches into `<file>.1` when the file itself was just
/// rotated and holds fewer lines. Control characters are shown as spaces (the file may hold
/// a peer's raw stderr). Empty when neither is readable; never throws.
std::string tail_lines(const std::filesystem::path& file, std::size_t max_lines);

} // namespace phantom::daemon
