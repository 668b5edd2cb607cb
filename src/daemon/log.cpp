// SPDX-License-Identifier: MIT
// The daemon's log, ~/.phantom/log/phantom.log: one timestamped line per event, size-capped.
#include <phantom/daemon/log.hpp>
#include <phantom/sys/fs.hpp>

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <system_error>
#include <utility>

namespace phantom::daemon {
namespace {

constexpr mode_t k_log_mode = 0600;
constexpr auto k_log_perms = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
// ssh's stderr can be long; one runaway detail must not push every useful line out of the log.
constexpr std::size_t k_max_line_bytes = 8 * 1024;
constexpr std::string_view k_truncated = " [truncated]";

// std::chrono's calendar types rather than gmtime_r: no OS header outside sys/, and no
// time-zone database is needed for UTC.
std::string utc_timestamp() {
    using namespace std::chrono;
    const auto now = floor<seconds>(system_clock::now());
    const auto day = floor<days>(now);
    const year_month_day date{day};
    const hh_mm_ss time{now - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count());
}

// Every C0 control character and DEL, not just \n and \r: a detail quoted from the network
// could otherwise carry terminal escapes into `connect`, which prints the tail of the log.
void append_flattened(std::string& line, std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        line.push_back(byte < 0x20 || byte == 0x7f ? ' ' : c);
    }
}

// Cuts to at most `limit` bytes without splitting a UTF-8 sequence.
void truncate_utf8(std::string& text, std::size_t limit) {
    if (text.size() <= limit) {
        return;
    }
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    text.resize(end);
}

std::string format_line(std::string_view level, std::string_view event, std::string_view detail) {
    std::string line = utc_timestamp();
    line += ' ';
    line += level;
    line += ' ';
    append_flattened(line, event);
    if (!detail.empty()) {
        line += ": ";
        append_flattened(line, detail);
    }
    if (line.size() + 1 > k_max_line_bytes) {
        truncate_utf8(line, k_max_line_bytes - 1 - k_truncated.size());
        line += k_truncated;
    }
    line += '\n';
    return line;
}

std::filesystem::path rotated_path(const std::filesystem::path& file) {
    std::filesystem::path rotated = file;
    rotated += ".1";
    return rotated;
}

// Splits into lines, keeping a final line that lacks its '\n' (a write cut short).
std::deque<std::string_view> split_lines(std::string_view text) {
    std::deque<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        if (end == std::string_view::npos) {
            lines.push_back(text);
            break;
        }
        lines.push_back(text.substr(0, end));
        text.remove_prefix(end + 1);
    }
    return lines;
}

} // namespace

Log::Log(std::filesystem::path file, std::size_t max_bytes)
    : m_file(std::move(file)), m_max_bytes(max_bytes) {}

void Log::info(std::string_view event, std::string_view detail) {
    write("INFO", event, detail);
}

void Log::warn(std::string_view event, std::string_view detail) {
    write("WARN", event, detail);
}

void Log::error(std::string_view event, std::string_view detail) {
    write("ERROR", event, detail);
}

void Log::write(std::string_view level, std::string_view event, std::string_view detail) {
    // The bridge's thread logs too: one writer at a time keeps lines whole and rotation sane.
    const std::lock_guard<std::mutex> hold(m_mutex);
    try {
        const std::string line = format_line(level, event, detail);
        std::error_code ec;
        const auto size = std::filesystem::file_size(m_file, ec);
        // A missing file (ec set) has nothing to rotate. Two processes rotating at once can
        // at worst drop the older half; only the daemon writes here in practice.
        if (!ec && size > 0 && size + line.size() > m_max_bytes) {
            std::filesystem::rename(m_file, rotated_path(m_file), ec);
            if (ec) {
                ++m_failures;
                return;
            }
        }
        // O_APPEND and one write(2) per line: concurrent writers never interleave mid-line.
        if (!sys::append_file(m_file, line, k_log_mode)) {
            ++m_failures;
            return;
        }
        // The umask may have narrowed the mode at creation, or someone widened it since.
        const auto status = std::filesystem::status(m_file, ec);
        if (!ec && (status.permissions() & std::filesystem::perms::mask) != k_log_perms) {
            std::filesystem::permissions(m_file, k_log_perms, std::filesystem::perm_options::replace, ec);
        }
    } catch (...) {
        // Only allocation can throw here; the line is lost but the daemon goes on.
        ++m_failures;
    }
}

std::string tail_lines(const std::filesystem::path& file, std::size_t max_lines) {
    try {
        if (max_lines == 0) {
            return {};
        }
        const auto current = sys::read_file(file);
        std::deque<std::string_view> lines;
        if (current) {
            lines = split_lines(*current);
        }
        sys::Result<std::string> previous = std::string();
        if (lines.size() < max_lines) {
            previous = sys::read_file(rotated_path(file));
            if (previous) {
                auto older = split_lines(*previous);
                lines.insert(lines.begin(), older.begin(), older.end());
            }
        }
        while (lines.size() > max_lines) {
            lines.pop_front();
        }
        // The file may be a peer's raw stderr (the tunnel log), and the caller prints it.
        std::string out;
        for (auto line : lines) {
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            append_flattened(out, line);
            out += '\n';
        }
        return out;
    } catch (...) {
        return {};
    }
}

} // namespace phantom::daemon
