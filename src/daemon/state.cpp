// SPDX-License-Identifier: MIT
// ~/.phantom/run/state.json: what the daemon is doing, for `status`, `connect` and doctor.
#include <phantom/daemon/state.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string_view>

namespace phantom::daemon {
namespace {

namespace json = boost::json;

constexpr mode_t k_state_mode = 0600;

json::object to_object(const State& state) {
    json::object obj;
    obj["pid"] = state.pid;
    obj["tunnel_pid"] = state.tunnel_pid;
    obj["tunnel_program"] = state.tunnel_program;
    obj["local_port"] = state.local_port;
    obj["bridge_port"] = state.bridge_port;
    obj["mode"] = state.mode;
    obj["server"] = state.server;
    obj["started_at"] = state.started_at;
    obj["phase"] = state.phase;
    obj["reconnects"] = state.reconnects;
    if (state.last_probe_ok) {
        obj["last_probe_ok"] = *state.last_probe_ok;
    } else {
        obj["last_probe_ok"] = nullptr;
    }
    obj["last_probe_at"] = state.last_probe_at;
    obj["last_probe_ms"] = state.last_probe_ms;
    obj["last_error"] = state.last_error;
    json::object failures;
    for (const auto& [cause, n] : state.bridge.failures) {
        failures[cause] = n;
    }
    obj["bridge"] = json::object{{"active", state.bridge.active},
                                 {"total", state.bridge.total},
                                 {"bytes_up", state.bridge.bytes_up},
                                 {"bytes_down", state.bridge.bytes_down},
                                 {"failures", std::move(failures)}};
    return obj;
}

// Boost.JSON prints doubles in scientific form ("1.25E1", "0E0"); fmt's shortest round-trip
// form ("12.5", "0") is what a person or jq expects. JSON has no NaN or infinity.
std::string render_value(const json::value& value) {
    if (value.is_double()) {
        const double number = value.get_double();
        return std::isfinite(number) ? fmt::format("{}", number) : std::string("null");
    }
    return json::serialize(value);
}

// One key per line in a fixed order, so `status --json` diffs and greps well.
std::string render_object(const json::object& obj) {
    std::string out = "{\n";
    bool first = true;
    for (const auto& entry : obj) {
        if (!first) {
            out += ",\n";
        }
        first = false;
        out += "  ";
        out += json::serialize(json::value(entry.key()));
        out += ": ";
        out += render_value(entry.value());
    }
    out += "\n}";
    return out;
}

// The readers below leave `out` alone when the key is absent (a state written by an older
// daemon still reads after an upgrade) and return false when it is present but wrong.

template <class Int>
bool read_integer(const json::object& obj, std::string_view key, Int& out, std::int64_t min,
                  std::int64_t max) {
    const json::value* value = obj.if_contains(key);
    if (value == nullptr) {
        return true;
    }
    // Boost.JSON stores an integer as uint64 only above INT64_MAX, out of range everywhere;
    // a double (5.0 included) is not what the daemon writes.
    if (!value->is_int64()) {
        return false;
    }
    const std::int64_t number = value->get_int64();
    if (number < min || number > max) {
        return false;
    }
    out = static_cast<Int>(number);
    return true;
}

bool read_string(const json::object& obj, std::string_view key, std::string& out) {
    const json::value* value = obj.if_contains(key);
    if (value == nullptr) {
        return true;
    }
    if (!value->is_string()) {
        return false;
    }
    const json::string& text = value->get_string();
    out.assign(text.data(), text.size());
    return true;
}

bool read_optional_bool(const json::object& obj, std::string_view key, std::optional<bool>& out) {
    const json::value* value = obj.if_contains(key);
    if (value == nullptr || value->is_null()) {
        out.reset();
        return true;
    }
    if (!value->is_bool()) {
        return false;
    }
    out = value->get_bool();
    return true;
}

bool read_duration_ms(const json::object& obj, std::string_view key, double& out) {
    const json::value* value = obj.if_contains(key);
    if (value == nullptr) {
        return true;
    }
    if (!value->is_number()) {
        return false;
    }
    // Boost.JSON parses an overflowing literal such as 1e999 as infinity.
    boost::system::error_code ec;
    const double number = value->to_number<double>(ec);
    if (ec || !std::isfinite(number) || number < 0) {
        return false;
    }
    out = number;
    return true;
}

bool read_counter(const json::object& obj, std::string_view key, std::uint64_t& out) {
    const json::value* value = obj.if_contains(key);
    if (value == nullptr) {
        return true;
    }
    if (value->is_uint64()) {
        out = value->get_uint64();
        return true;
    }
    if (value->is_int64() && value->get_int64() >= 0) {
        out = static_cast<std::uint64_t>(value->get_int64());
        return true;
    }
    return false;
}

bool read_bridge(const json::object& obj, BridgeStats& out) {
    const json::value* value = obj.if_contains("bridge");
    if (value == nullptr) {
        return true;
    }
    if (!value->is_object()) {
        return false;
    }
    const auto& bridge = value->get_object();
    if (!(read_counter(bridge, "active", out.active) && read_counter(bridge, "total", out.total) &&
          read_counter(bridge, "bytes_up", out.bytes_up) &&
          read_counter(bridge, "bytes_down", out.bytes_down))) {
        return false;
    }
    if (const json::value* failures = bridge.if_contains("failures")) {
        if (!failures->is_object()) {
            return false;
        }
        for (const auto& [cause, n] : failures->get_object()) {
            std::uint64_t count = 0;
            if (!read_counter(failures->get_object(), cause, count)) {
                return false;
            }
            out.failures[std::string(cause)] = count;
        }
    }
    return true;
}

std::optional<State> from_object(const json::object& obj) {
    constexpr std::int64_t k_int_max = std::numeric_limits<int>::max();
    constexpr std::int64_t k_port_max = std::numeric_limits<std::uint16_t>::max();
    constexpr std::int64_t k_int64_max = std::numeric_limits<std::int64_t>::max();

    // Without the daemon's pid the state cannot be acted upon (signalled, checked for life).
    if (!obj.contains("pid")) {
        return std::nullopt;
    }
    State state;
    const bool ok = read_integer(obj, "pid", state.pid, 1, k_int_max) &&
                    read_integer(obj, "tunnel_pid", state.tunnel_pid, 0, k_int_max) &&
                    read_string(obj, "tunnel_program", state.tunnel_program) &&
                    read_integer(obj, "local_port", state.local_port, 0, k_port_max) &&
                    read_integer(obj, "bridge_port", state.bridge_port, 0, k_port_max) &&
                    read_string(obj, "mode", state.mode) && read_string(obj, "server", state.server) &&
                    read_integer(obj, "started_at", state.started_at, 0, k_int64_max) &&
                    read_string(obj, "phase", state.phase) &&
                    read_integer(obj, "reconnects", state.reconnects, 0, k_int_max) &&
                    read_optional_bool(obj, "last_probe_ok", state.last_probe_ok) &&
                    read_integer(obj, "last_probe_at", state.last_probe_at, 0, k_int64_max) &&
                    read_duration_ms(obj, "last_probe_ms", state.last_probe_ms) &&
                    read_string(obj, "last_error", state.last_error) && read_bridge(obj, state.bridge);
    if (!ok) {
        return std::nullopt;
    }
    return state;
}

} // namespace

void write_state(const std::filesystem::path& file, const State& state) {
    if (auto r = sys::write_file_atomic(file, to_json(state) + "\n", k_state_mode); !r) {
        throw Error(fmt::format("cannot write {}: {}", file.string(), r.error().message()),
                    "check that ~/.phantom/run is a directory you own");
    }
}

std::optional<State> read_state(const std::filesystem::path& file) {
    try {
        const auto text = sys::read_file(file);
        if (!text) {
            return std::nullopt;
        }
        boost::system::error_code ec;
        const json::value root = json::parse(*text, ec);
        if (ec || !root.is_object()) {
            return std::nullopt;
        }
        return from_object(root.get_object());
    } catch (...) {
        // Allocation failure (or a pathological file) must not crash `status`.
        return std::nullopt;
    }
}

std::string to_json(const State& state) {
    return render_object(to_object(state));
}

} // namespace phantom::daemon
