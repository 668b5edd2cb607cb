// SPDX-License-Identifier: MIT
// The team's members: users.json under an exclusive lock, hashed passwords, SSH keys, limits.
#include <crypt.h>

#include <phantom/admin/users.hpp>
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/base64.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/random.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

namespace phantom::admin {
namespace {

namespace json = boost::json;

[[noreturn]] void malformed(const std::filesystem::path& file, const std::string& why) {
    throw Fatal(exit_code::k_config, fmt::format("{}: {}", file.string(), why),
                "restore it from a backup, or fix it by hand (it is JSON; phantom-admin writes it)");
}

const json::value* field(const json::object& obj, std::string_view key) {
    return obj.if_contains(key);
}

std::string string_field(const json::object& obj, std::string_view key, const std::filesystem::path& file,
                         bool required) {
    const json::value* v = field(obj, key);
    if (v == nullptr) {
        if (required) {
            malformed(file, fmt::format("a member has no \"{}\"", key));
        }
        return {};
    }
    if (!v->is_string()) {
        malformed(file, fmt::format("\"{}\" must be a string", key));
    }
    return std::string(v->get_string());
}

} // namespace

std::string hash_password(const std::string& password) {
    // A null prefix asks libxcrypt for its preferred method; a null random source makes it
    // read the OS's random bytes itself.
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
    if (crypt_gensalt_rn(nullptr, 0, nullptr, 0, salt.data(), static_cast<int>(salt.size())) == nullptr) {
        throw Error(fmt::format("cannot make a password salt: {}", std::strerror(errno)),
                    "check that libcrypt (libxcrypt) is installed and /dev/urandom is readable");
    }
    auto data = std::make_unique<crypt_data>();
    const char* hash = crypt_r(password.c_str(), salt.data(), data.get());
    // libxcrypt returns a string starting with '*' on failure rather than null.
    if (hash == nullptr || hash[0] == '*') {
        throw Error("cannot hash the password with libcrypt", "check that libcrypt (libxcrypt) works");
    }
    return hash;
}

bool password_matches(const std::string& password, const std::string& hash) {
    auto data = std::make_unique<crypt_data>();
    const char* computed = crypt_r(password.c_str(), hash.c_str(), data.get());
    return computed != nullptr && computed[0] != '*' && sys::constant_time_equal(computed, hash);
}

std::string generate_password() {
    return sys::random_token(18);
}

std::vector<Member> read_members(const std::filesystem::path& file) {
    auto text = sys::read_file(file);
    if (!text) {
        if (text.error().value() == ENOENT) {
            return {};
        }
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot read {}: {}", file.string(), text.error().message()),
                    "phantom-admin runs as root and owns the data directory");
    }
    boost::system::error_code ec;
    const json::value root = json::parse(*text, ec);
    if (ec || !root.is_object() || !root.get_object().contains("members") ||
        !root.get_object().at("members").is_array()) {
        malformed(file, "not a phantom users file (expected {\"members\": [...]})");
    }
    std::vector<Member> members;
    for (const auto& item : root.get_object().at("members").get_array()) {
        if (!item.is_object()) {
            malformed(file, "a member is not an object");
        }
        const auto& obj = item.get_object();
        Member m;
        m.name = string_field(obj, "name", file, true);
        m.password_hash = string_field(obj, "password_hash", file, true);
        m.ssh_key = string_field(obj, "ssh_key", file, false);
        if (const auto* v = field(obj, "enabled")) {
            if (!v->is_bool()) {
                malformed(file, "\"enabled\" must be true or false");
            }
            m.enabled = v->get_bool();
        }
        if (const auto* v = field(obj, "max_sessions"); v != nullptr && !v->is_null()) {
            if (!v->is_int64() || v->get_int64() <= 0 || v->get_int64() > 10000) {
                malformed(file, "\"max_sessions\" must be a number from 1 to 10000");
            }
            m.max_sessions = static_cast<unsigned>(v->get_int64());
        }
        if (const auto* v = field(obj, "rate"); v != nullptr && !v->is_null()) {
            const auto rate = v->is_string() ? parse_rate(v->get_string()) : parse_rate("");
            if (!rate) {
                malformed(file, "\"rate\": " + rate.error());
            }
            m.rate = *rate;
        }
        if (const auto* v = field(obj, "created_at"); v != nullptr && v->is_int64()) {
            m.created_at = v->get_int64();
        }
        // What is read goes into danted.conf, the password file and authorized_keys: a hand
        // edit must not smuggle a line into any of them.
        if (config::check_user_name(m.name) || find_member(members, m.name) != nullptr) {
            malformed(file, "a member's name is invalid or listed twice");
        }
        if (m.password_hash.empty() || m.password_hash.find_first_of(":\n\r") != std::string::npos) {
            malformed(file, fmt::format("member \"{}\" has an invalid password hash", m.name));
        }
        if (!m.ssh_key.empty() && config::check_host_key(m.ssh_key, true)) {
            malformed(file, fmt::format("member \"{}\" has an invalid SSH key", m.name));
        }
        members.push_back(std::move(m));
    }
    return members;
}

void write_members(const std::filesystem::path& file, const std::vector<Member>& members) {
    json::array list;
    for (const auto& m : members) {
        json::object obj;
        obj["name"] = m.name;
        obj["password_hash"] = m.password_hash;
        obj["ssh_key"] = m.ssh_key;
        obj["enabled"] = m.enabled;
        obj["max_sessions"] = m.max_sessions ? json::value(*m.max_sessions) : json::value(nullptr);
        obj["rate"] = m.rate ? json::value(to_string(*m.rate)) : json::value(nullptr);
        obj["created_at"] = m.created_at;
        list.push_back(std::move(obj));
    }
    // One member per line: diffs and greps stay readable for an admin.
    std::string text = "{\"members\": [\n";
    for (std::size_t i = 0; i < list.size(); ++i) {
        text += "  " + json::serialize(list[i]) + (i + 1 < list.size() ? ",\n" : "\n");
    }
    text += "]}\n";
    if (auto r = sys::write_file_atomic(file, text, 0600); !r) {
        throw Fatal(exit_code::k_unavailable,
                    fmt::format("cannot write {}: {}", file.string(), r.error().message()),
                    "check that the data directory is writable by root");
    }
}

Member* find_member(std::vector<Member>& members, std::string_view name) {
    for (auto& m : members) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

} // namespace phantom::admin
