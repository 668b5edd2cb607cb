// SPDX-License-Identifier: MIT
// The client config: schema, strict validation with file:line:column errors, atomic save.
#include <phantom/config/config.hpp>
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <sstream>

#include "config/toml_text.hpp"

namespace phantom::config {
namespace {

enum class Kind { string, integer, boolean, string_list };

const char* describe(Kind kind) {
    switch (kind) {
    case Kind::string:
        return "a quoted string";
    case Kind::integer:
        return "an integer";
    case Kind::boolean:
        return "true or false";
    case Kind::string_list:
        return "a list of quoted strings";
    }
    return "a value";
}

/// Where an error points: a node's position, or the whole file.
struct Position {
    std::uint32_t line = 1;
    std::uint32_t column = 1;
};

Position position_of(const toml::node& node) {
    const auto& src = node.source();
    return {src.begin.line == 0 ? 1U : src.begin.line, src.begin.column == 0 ? 1U : src.begin.column};
}

[[noreturn]] void fail(std::string_view source, Position pos, const std::string& message, std::string hint) {
    throw Fatal(exit_code::k_config, fmt::format("{}:{}:{}: {}", source, pos.line, pos.column, message),
                std::move(hint));
}

/// One key of the schema. `check` returns an error text for a well-typed but invalid value.
struct Field {
    const char* section;
    const char* key;
    Kind kind;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::function<void(Config&, const toml::node&)> assign;
    std::function<std::optional<std::string>(const toml::node&)> check;
};

std::string node_string(const toml::node& node) {
    return std::string(node.value<std::string_view>().value_or(""));
}

std::vector<std::string> node_strings(const toml::node& node) {
    std::vector<std::string> out;
    for (const auto& item : *node.as_array()) {
        out.emplace_back(item.value<std::string_view>().value_or(""));
    }
    return out;
}

std::optional<std::string> check_isolated_names(const toml::node& node) {
    for (const auto& name : node_strings(node)) {
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
            return fmt::format("\"{}\" is not a plain file name (no '/', not '.' or '..')", name);
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_no_proxy(const toml::node& node) {
    for (const auto& entry : node_strings(node)) {
        if (entry.empty() || entry.find_first_of(", \t\r\n") != std::string::npos) {
            return fmt::format("\"{}\" must be one host, domain or CIDR without commas or spaces", entry);
        }
    }
    return std::nullopt;
}

std::optional<std::string> absolute_path(const toml::node& node) {
    const std::string value = node_string(node);
    if (value.empty() || (value.front() != '/' && value.rfind("~/", 0) != 0)) {
        return fmt::format("\"{}\" must be an absolute path or start with ~/", value);
    }
    return std::nullopt;
}

const std::vector<Field>& schema() {
    static const std::vector<Field> fields = [] {
        constexpr std::int64_t k_port_max = 65535;
        std::vector<Field> f;
        auto str = [&f](const char* section, const char* key, std::function<void(Config&, std::string)> set,
                        std::function<std::optional<std::string>(const toml::node&)> check) {
            f.push_back(Field{section, key, Kind::string, 0, 0,
                              [set](Config& c, const toml::node& n) { set(c, node_string(n)); },
                              std::move(check)});
        };
        auto num = [&f](const char* section, const char* key, std::int64_t min, std::int64_t max,
                        std::function<void(Config&, std::int64_t)> set) {
            f.push_back(
                Field{section, key, Kind::integer, min, max,
                      [set](Config& c, const toml::node& n) { set(c, n.value<std::int64_t>().value_or(0)); },
                      nullptr});
        };
        auto host = [](const toml::node& n) { return check_host(node_string(n)); };
        auto user = [](const toml::node& n) { return check_user_name(node_string(n)); };

        str(
            "server", "host", [](Config& c, std::string v) { c.server.host = std::move(v); }, host);
        num("server", "port", 1, k_port_max,
            [](Config& c, std::int64_t v) { c.server.port = static_cast<std::uint16_t>(v); });
        str(
            "server", "user", [](Config& c, std::string v) { c.server.user = std::move(v); }, user);
        str(
            "server", "host_key", [](Config& c, std::string v) { c.server.host_key = std::move(v); },
            [](const toml::node& n) { return check_host_key(node_string(n)); });

        str(
            "auth", "socks_user", [](Config& c, std::string v) { c.auth.socks_user = std::move(v); }, user);
        str(
            "auth", "password", [](Config& c, std::string v) { c.auth.password = std::move(v); }, nullptr);
        str(
            "auth", "ssh_key", [](Config& c, std::string v) { c.auth.ssh_key = std::move(v); },
            absolute_path);

        str(
            "tunnel", "mode",
            [](Config& c, std::string v) { c.tunnel.mode = parse_mode(v).value_or(Mode::dante); },
            [](const toml::node& n) -> std::optional<std::string> {
                if (!parse_mode(node_string(n))) {
                    return fmt::format("unknown mode \"{}\": use \"dante\" or \"direct\"", node_string(n));
                }
                return std::nullopt;
            });
        str(
            "tunnel", "dante_host", [](Config& c, std::string v) { c.tunnel.dante_host = std::move(v); },
            host);
        num("tunnel", "dante_port", 1, k_port_max,
            [](Config& c, std::int64_t v) { c.tunnel.dante_port = static_cast<std::uint16_t>(v); });
        num("tunnel", "local_port", 1, k_port_max,
            [](Config& c, std::int64_t v) { c.tunnel.local_port = static_cast<std::uint16_t>(v); });
        num("tunnel", "bridge_port", 0, k_port_max,
            [](Config& c, std::int64_t v) { c.tunnel.bridge_port = static_cast<std::uint16_t>(v); });
        num("tunnel", "bridge_max_connections", 1, 4096,
            [](Config& c, std::int64_t v) { c.tunnel.bridge_max_connections = static_cast<int>(v); });
        num("tunnel", "bridge_idle_timeout", 1, 86400,
            [](Config& c, std::int64_t v) { c.tunnel.bridge_idle_timeout = static_cast<int>(v); });
        num("tunnel", "server_alive_interval", 1, 3600,
            [](Config& c, std::int64_t v) { c.tunnel.server_alive_interval = static_cast<int>(v); });
        num("tunnel", "server_alive_count_max", 1, 100,
            [](Config& c, std::int64_t v) { c.tunnel.server_alive_count_max = static_cast<int>(v); });
        num("tunnel", "connect_timeout", 1, 300,
            [](Config& c, std::int64_t v) { c.tunnel.connect_timeout = static_cast<int>(v); });

        str(
            "sandbox", "home", [](Config& c, std::string v) { c.sandbox.home = std::move(v); },
            absolute_path);
        f.push_back(Field{"sandbox", "isolate", Kind::string_list, 0, 0,
                          [](Config& c, const toml::node& n) { c.sandbox.isolate = node_strings(n); },
                          check_isolated_names});

        f.push_back(Field{
            "options", "auto_connect", Kind::boolean, 0, 0,
            [](Config& c, const toml::node& n) { c.options.auto_connect = n.value<bool>().value_or(true); },
            nullptr});
        f.push_back(Field{"options", "no_proxy", Kind::string_list, 0, 0,
                          [](Config& c, const toml::node& n) { c.options.no_proxy = node_strings(n); },
                          check_no_proxy});
        return f;
    }();
    return fields;
}

constexpr std::array<const char*, 5> k_sections = {"server", "auth", "tunnel", "sandbox", "options"};

/// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    if (best && best_distance <= std::max<std::size_t>(2, word.size() / 3)) {
        return best;
    }
    return std::nullopt;
}

bool has_kind(const toml::node& node, Kind kind) {
    switch (kind) {
    case Kind::string:
        return node.is_string();
    case Kind::integer:
        return node.is_integer();
    case Kind::boolean:
        return node.is_boolean();
    case Kind::string_list:
        return node.is_array() &&
               (node.as_array()->empty() || node.as_array()->is_homogeneous(toml::node_type::string));
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view line_at(std::string_view text, std::uint32_t line) {
    for (std::uint32_t i = 1; i < line; ++i) {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) {
            return {};
        }
        text.remove_prefix(nl + 1);
    }
    return text.substr(0, text.find('\n'));
}

bool is_known_key(std::string_view key, Kind kind) {
    for (const auto& field : schema()) {
        if (field.key == key && field.kind == kind) {
            return true;
        }
    }
    return false;
}

/// Turns a TOML syntax error into the message users of the old INI format need: the line
/// `host=1.2.3.4` is invalid TOML because strings must be quoted.
[[noreturn]] void fail_syntax(std::string_view text, std::string_view source,
                              const toml::parse_error& error) {
    const Position pos{error.source().begin.line, error.source().begin.column};
    const std::string_view line = trim(line_at(text, pos.line));
    const auto eq = line.find('=');
    if (eq != std::string_view::npos && !line.empty() && line.front() != '#' && line.front() != '[') {
        const std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (const auto hash = value.find(" #"); hash != std::string_view::npos) {
            value = trim(value.substr(0, hash));
        }
        const bool looks_unquoted = !value.empty() && value.front() != '"' && value.front() != '\'' &&
                                    value.front() != '[' && value.front() != '{';
        const bool is_number_key = is_known_key(key, Kind::integer) || is_known_key(key, Kind::boolean);
        if (looks_unquoted && !is_number_key) {
            toml::value<std::string> quoted{std::string(value)};
            std::ostringstream fixed;
            fixed << toml::toml_formatter{quoted, toml::format_flags::none};
            fail(source, pos, fmt::format("the value of \"{}\" must be a quoted string", key),
                 fmt::format("write it as: {} = {}", key, fixed.str()));
        }
    }
    fail(source, pos, std::string(error.description()),
         "fix the TOML syntax on that line (strings in double quotes, e.g. host = \"vps.example.com\")");
}

/// The position of the first non-ASCII byte outside strings and comments. TOML 1.0 allows
/// non-ASCII text only inside those, and toml++ 3.3.0 (Debian 12) reaches
/// __builtin_unreachable, undefined behaviour, on some such characters where whitespace may
/// stand (is_non_ascii_horizontal_whitespace; found by tests/fuzz/config_fuzz.cpp with
/// "\xC3\x96"). So the parser never sees them.
std::optional<Position> stray_non_ascii(std::string_view text) {
    enum class State { normal, comment, basic, literal, multi_basic, multi_literal };
    constexpr std::string_view k_triple_double = "\"\"\"";
    constexpr std::string_view k_triple_single = "'''";
    State state = State::normal;
    Position pos;
    std::size_t i = 0;
    auto skip = [&](std::size_t n) {
        for (std::size_t k = 0; k < n && i < text.size(); ++k, ++i) {
            if (text[i] == '\n') {
                ++pos.line;
                pos.column = 1;
            } else {
                ++pos.column;
            }
        }
    };
    while (i < text.size()) {
        const char c = text[i];
        const std::string_view rest = text.substr(i);
        switch (state) {
        case State::normal:
            if (static_cast<unsigned char>(c) >= 0x80) {
                return pos;
            }
            if (c == '#') {
                state = State::comment;
            } else if (rest.starts_with(k_triple_double)) {
                state = State::multi_basic;
                skip(3);
                continue;
            } else if (rest.starts_with(k_triple_single)) {
                state = State::multi_literal;
                skip(3);
                continue;
            } else if (c == '"') {
                state = State::basic;
            } else if (c == '\'') {
                state = State::literal;
            }
            break;
        case State::comment:
            state = c == '\n' ? State::normal : state;
            break;
        case State::basic:
            if (c == '\\' && rest.size() > 1 && rest[1] != '\n') {
                skip(2);
                continue;
            }
            state = c == '"' || c == '\n' ? State::normal : state;
            break;
        case State::literal:
            state = c == '\'' || c == '\n' ? State::normal : state;
            break;
        case State::multi_basic:
            if (c == '\\' && rest.size() > 1) {
                skip(2);
                continue;
            }
            if (rest.starts_with(k_triple_double)) {
                state = State::normal;
                skip(3);
                continue;
            }
            break;
        case State::multi_literal:
            if (rest.starts_with(k_triple_single)) {
                state = State::normal;
                skip(3);
                continue;
            }
            break;
        }
        skip(1);
    }
    return std::nullopt;
}

std::string section_list() {
    std::string out;
    for (const char* s : k_sections) {
        out += out.empty() ? "" : ", ";
        out += fmt::format("[{}]", s);
    }
    return out;
}

void check_section_keys(const toml::table& table, std::string_view section, std::string_view source) {
    std::vector<std::string> keys;
    for (const auto& field : schema()) {
        if (field.section == section) {
            keys.emplace_back(field.key);
        }
    }
    for (const auto& [key, node] : table) {
        if (std::find(keys.begin(), keys.end(), key.str()) != keys.end()) {
            continue;
        }
        const auto suggestion = closest(key.str(), keys);
        Position pos = key.source().begin.line != 0
                           ? Position{key.source().begin.line, key.source().begin.column}
                           : position_of(node);
        fail(source, pos, fmt::format("unknown key \"{}\" in [{}]", key.str(), section),
             suggestion ? fmt::format("did you mean \"{}\"?", *suggestion)
                        : fmt::format("valid keys in [{}]: {}", section, fmt::join(keys, ", ")));
    }
}

} // namespace

std::string_view to_string(Mode mode) noexcept {
    return mode == Mode::direct ? "direct" : "dante";
}

std::optional<Mode> parse_mode(std::string_view text) noexcept {
    if (text == "dante") {
        return Mode::dante;
    }
    if (text == "direct") {
        return Mode::direct;
    }
    return std::nullopt;
}

std::filesystem::path state_dir(const std::filesystem::path& home) {
    return home / ".phantom";
}

std::filesystem::path config_path(const std::filesystem::path& home) {
    if (auto custom = sys::get_env("PHANTOM_CONFIG"); custom && !custom->empty()) {
        return *custom;
    }
    return state_dir(home) / "config";
}

namespace detail {

toml::table parse_toml(std::string_view text, std::string_view source, std::string_view hint) {
    if (const auto stray = stray_non_ascii(text)) {
        fail(source, *stray, "non-ASCII character outside a quoted string",
             "TOML keys are plain ASCII; put text with other characters in double quotes");
    }
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& error) {
        fail(source, Position{error.source().begin.line, error.source().begin.column},
             std::string(error.description()), std::string(hint));
    }
}

} // namespace detail

std::filesystem::path expand_home(std::string_view path, const std::filesystem::path& home) {
    if (path == "~") {
        return home;
    }
    if (path.size() >= 2 && path[0] == '~' && path[1] == '/') {
        return home / path.substr(2);
    }
    return std::filesystem::path(path);
}

Config parse_config(std::string_view text, std::string_view source_name) {
    if (const auto stray = stray_non_ascii(text)) {
        fail(source_name, *stray, "non-ASCII character outside a quoted string",
             "TOML keys are plain ASCII; put text with other characters in double quotes");
    }
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        fail_syntax(text, source_name, error);
    }

    // Top level: only the five sections. A known key at the top level is the INI habit of
    // writing keys before any section header: say where it belongs.
    for (const auto& [key, node] : root) {
        const std::string_view name = key.str();
        const bool is_section = std::find(k_sections.begin(), k_sections.end(), name) != k_sections.end();
        Position pos = key.source().begin.line != 0
                           ? Position{key.source().begin.line, key.source().begin.column}
                           : position_of(node);
        if (!is_section) {
            for (const auto& field : schema()) {
                if (key.str() == field.key) {
                    fail(source_name, pos, fmt::format("key \"{}\" is outside of any section", key.str()),
                         fmt::format("move it under a [{}] header", field.section));
                }
            }
            std::vector<std::string> names(k_sections.begin(), k_sections.end());
            const auto suggestion = closest(key.str(), names);
            fail(source_name, pos, fmt::format("unknown section \"{}\"", key.str()),
                 suggestion ? fmt::format("did you mean [{}]?", *suggestion)
                            : fmt::format("valid sections: {}", section_list()));
        }
        if (!node.is_table()) {
            fail(source_name, pos,
                 fmt::format("\"{}\" must be a section ([{}]), not a value", key.str(), key.str()),
                 fmt::format("write a [{}] header and put its keys below it", key.str()));
        }
        check_section_keys(*node.as_table(), key.str(), source_name);
    }

    Config config;
    for (const auto& field : schema()) {
        const toml::node* node = root.at_path(fmt::format("{}.{}", field.section, field.key)).node();
        if (node == nullptr) {
            continue;
        }
        const Position pos = position_of(*node);
        if (!has_kind(*node, field.kind)) {
            std::string example;
            switch (field.kind) {
            case Kind::string:
                example = fmt::format("{} = \"…\"", field.key);
                break;
            case Kind::integer:
                example = fmt::format("{} = {}", field.key, field.min == 0 ? 0 : field.min);
                break;
            case Kind::boolean:
                example = fmt::format("{} = true", field.key);
                break;
            case Kind::string_list:
                example = fmt::format("{} = [\"…\", \"…\"]", field.key);
                break;
            }
            fail(source_name, pos,
                 fmt::format("[{}] {} must be {}, not {}", field.section, field.key, describe(field.kind),
                             toml::impl::node_type_friendly_names[static_cast<int>(node->type())]),
                 fmt::format("write it as: {}", example));
        }
        if (field.kind == Kind::integer) {
            const std::int64_t v = node->value<std::int64_t>().value_or(0);
            if (v < field.min || v > field.max) {
                const bool is_port = std::string_view(field.key).ends_with("port");
                fail(source_name, pos,
                     fmt::format("[{}] {} = {} is out of range{}", field.section, field.key, v,
                                 is_port ? " for a TCP port" : ""),
                     fmt::format("use a value from {} to {}", field.min, field.max));
            }
        }
        if (field.check) {
            if (auto problem = field.check(*node)) {
                fail(source_name, pos, fmt::format("[{}] {}: {}", field.section, field.key, *problem),
                     fmt::format("fix the value of {} (or run `phantom init` again)", field.key));
            }
        }
        field.assign(config, *node);
    }

    auto require = [&](std::string_view section, std::string_view key, bool present) {
        if (present) {
            return;
        }
        const toml::node* table = root.get(section);
        const Position pos = table != nullptr ? position_of(*table) : Position{};
        fail(source_name, pos, fmt::format("missing required key \"{}\" in [{}]", key, section),
             fmt::format("add it under [{}] (e.g. {} = \"…\"), or run `phantom init`", section, key));
    };
    require("server", "host", !config.server.host.empty());
    if (config.tunnel.mode == Mode::dante) {
        require("auth", "socks_user", !config.auth.socks_user.empty());
    }
    return config;
}

Config load_config(const std::filesystem::path& path) {
    // Follow a symlinked config (dotfile managers) but judge the file it points at.
    const auto status = sys::file_status(path, true);
    if (!status) {
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot read {}: {}", path.string(), status.error().message()),
                    "check that the file exists and belongs to you");
    }
    if (!status->exists) {
        throw Fatal(exit_code::k_config, fmt::format("no config at {}", path.string()),
                    "run `phantom init` to create it (or set PHANTOM_CONFIG to its path)");
    }
    if ((status->mode & 077) != 0) {
        // Same rule and wording as ssh for private keys: the config can hold the password.
        throw Fatal(exit_code::k_config,
                    fmt::format("permissions {:04o} for '{}' are too open: it may hold your password",
                                status->mode & 0777, path.string()),
                    fmt::format("chmod 600 '{}'", path.string()));
    }
    auto text = sys::read_file(path);
    if (!text) {
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot read {}: {}", path.string(), text.error().message()),
                    "check that the file belongs to you and is readable");
    }
    return parse_config(*text, path.string());
}

std::optional<Config> load_config_if_exists(const std::filesystem::path& path) {
    auto status = sys::file_status(path);
    if (status && !status->exists) {
        return std::nullopt;
    }
    return load_config(path);
}

std::string render_config(const Config& c) {
    auto q = [](const std::string& s) {
        std::ostringstream out;
        out << toml::toml_formatter{toml::value<std::string>{s}, toml::format_flags::none};
        return out.str();
    };
    auto list = [&q](const std::vector<std::string>& items) {
        std::vector<std::string> quoted;
        quoted.reserve(items.size());
        for (const auto& item : items) {
            quoted.push_back(q(item));
        }
        return fmt::format("[{}]", fmt::join(quoted, ", "));
    };
    std::string out;
    out += "# phantom client config, written by `phantom init` (mode 0600). Edit freely;\n";
    out += "# `phantom doctor` checks it.\n\n";
    out += "[server]\n";
    out += fmt::format("host = {}\n", q(c.server.host));
    out += fmt::format("port = {}  # SSH port of the team server\n", c.server.port);
    out += fmt::format("user = {}  # tunnel-only SSH account\n", q(c.server.user));
    if (!c.server.host_key.empty()) {
        out += fmt::format("host_key = {}  # pinned; also in ~/.phantom/known_hosts\n", q(c.server.host_key));
    }
    out += "\n[auth]\n";
    // Direct mode has no member name; an empty one would not read back (names are validated).
    if (!c.auth.socks_user.empty()) {
        out += fmt::format("socks_user = {}\n", q(c.auth.socks_user));
    }
    if (!c.auth.password.empty()) {
        out += fmt::format("password = {}  # no OS keychain was available\n", q(c.auth.password));
    }
    out += fmt::format("ssh_key = {}\n", q(c.auth.ssh_key));
    out += "\n[tunnel]\n";
    out += fmt::format("mode = {}  # \"dante\" or \"direct\"\n", q(std::string(to_string(c.tunnel.mode))));
    out += fmt::format("dante_host = {}\n", q(c.tunnel.dante_host));
    out += fmt::format("dante_port = {}\n", c.tunnel.dante_port);
    out += fmt::format("local_port = {}  # local end of the SSH tunnel on 127.0.0.1\n", c.tunnel.local_port);
    out += fmt::format("bridge_port = {}  # 0 = pick a free port\n", c.tunnel.bridge_port);
    out += fmt::format("bridge_max_connections = {}  # more wait until one closes\n",
                       c.tunnel.bridge_max_connections);
    out += fmt::format("bridge_idle_timeout = {}  # seconds without traffic before a connection is closed\n",
                       c.tunnel.bridge_idle_timeout);
    out += fmt::format("server_alive_interval = {}\n", c.tunnel.server_alive_interval);
    out += fmt::format("server_alive_count_max = {}\n", c.tunnel.server_alive_count_max);
    out += fmt::format("connect_timeout = {}\n", c.tunnel.connect_timeout);
    out += "\n[sandbox]\n";
    out += fmt::format("home = {}  # shadow HOME given to commands run through phantom\n", q(c.sandbox.home));
    out += fmt::format("isolate = {}  # kept apart from your real home\n", list(c.sandbox.isolate));
    out += "\n[options]\n";
    out += fmt::format("auto_connect = {}\n", c.options.auto_connect ? "true" : "false");
    out += fmt::format("no_proxy = {}  # extra hosts reached directly\n", list(c.options.no_proxy));
    return out;
}

void save_config(const Config& config, const std::filesystem::path& path) {
    // A missing parent is created 0700; an existing one (PHANTOM_CONFIG elsewhere) is left
    // as its owner made it.
    const auto parent =
        path.has_parent_path() ? sys::file_status(path.parent_path()) : sys::Result<sys::FileStatus>{};
    if (parent && path.has_parent_path() && !parent->exists) {
        if (auto r = sys::ensure_private_dir(path.parent_path(), 0700); !r) {
            throw Fatal(exit_code::k_config,
                        fmt::format("cannot create {}: {}", path.parent_path().string(), r.error().message()),
                        "check that it is a directory you own");
        }
    }
    if (auto r = sys::write_file_atomic(path, render_config(config), 0600); !r) {
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot write {}: {}", path.string(), r.error().message()),
                    "check that the directory is writable by you");
    }
}

} // namespace phantom::config
