// SPDX-License-Identifier: MIT
// Unit tests of the keychain store against a mock secret-tool (tests/unit/fakes/secret-tool).
#include <phantom/config/secrets.hpp>
#include <phantom/sys/platform.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "catch.hpp"
#include "temp_dir.hpp"

using phantom::config::describe;
using phantom::config::lookup_password;
using phantom::config::secret_account;
using phantom::config::SecretStore;
using phantom::config::store_password;

namespace {

// Sets an environment variable for one scope and restores the previous state after.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        ::setenv(name, value.c_str(), 1);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// PATH with the mock secret-tool first; the rest keeps sh and cat reachable for the mock.
std::string path_with_fakes() {
    const char* old = std::getenv("PATH");
    return std::string(PHANTOM_TEST_FAKES_DIR) + ":" + (old != nullptr ? old : "/usr/bin:/bin");
}

const std::string k_account = "alice@vps.example.com:2222";

} // namespace

TEST_CASE("secret stores describe themselves", "[secrets]") {
    CHECK(std::string(describe(SecretStore::keychain)) == "macOS Keychain");
    CHECK(std::string(describe(SecretStore::secret_service)) == "Secret Service (secret-tool)");
    CHECK(std::string(describe(SecretStore::config_file)) == "config file");
}

TEST_CASE("secret_account is USER@HOST:PORT", "[secrets]") {
    CHECK(secret_account("alice", "vps.example.com", 2222) == k_account);
    CHECK(secret_account("bob", "203.0.113.7", 22) == "bob@203.0.113.7:22");
}

TEST_CASE("secret-tool gets the password on stdin, never in argv", "[secrets]") {
    if (phantom::sys::is_macos()) {
        WARN("secret-tool is the Linux backend; macOS uses security(1)");
        return;
    }
    phantom::test::TempDir dir;
    const ScopedEnv path("PATH", path_with_fakes());
    const ScopedEnv fake("PHANTOM_FAKE_SECRET_TOOL_DIR", dir.path().string());

    SECTION("store") {
        const std::string password = "p@ss w\"o'rd$(id)`x`";
        CHECK(store_password(k_account, password) == SecretStore::secret_service);
        const std::string argv = read_text(dir.path() / "argv");
        CHECK(argv ==
              "store\n--label=phantom (" + k_account + ")\nservice\nphantom\naccount\n" + k_account + "\n");
        CHECK(argv.find(password) == std::string::npos);
        CHECK(argv.find("p@ss") == std::string::npos);
        CHECK(read_text(dir.path() / "stdin") == password); // exactly, no trailing newline
    }

    SECTION("lookup") {
        write_text(dir.path() / "lookup", "s3cret p@ss");
        CHECK(lookup_password(k_account) == std::optional<std::string>("s3cret p@ss"));
        CHECK(read_text(dir.path() / "argv") == "lookup\nservice\nphantom\naccount\n" + k_account + "\n");
    }

    SECTION("lookup of a missing item") {
        CHECK_FALSE(lookup_password(k_account).has_value());
    }

    SECTION("an empty password is never stored") {
        CHECK(store_password(k_account, "") == SecretStore::config_file);
        CHECK_FALSE(std::filesystem::exists(dir.path() / "argv"));
    }
}

TEST_CASE("a failing secret-tool falls back to the config file", "[secrets]") {
    if (phantom::sys::is_macos()) {
        WARN("secret-tool is the Linux backend; macOS uses security(1)");
        return;
    }
    phantom::test::TempDir dir;
    const ScopedEnv path("PATH", path_with_fakes());
    const ScopedEnv fake("PHANTOM_FAKE_SECRET_TOOL_DIR", dir.path().string());
    write_text(dir.path() / "fail", "");
    write_text(dir.path() / "lookup", "never returned");

    CHECK(store_password(k_account, "pw") == SecretStore::config_file);
    CHECK_FALSE(lookup_password(k_account).has_value());
}

TEST_CASE("without secret-tool on PATH the config file holds the password", "[secrets]") {
    if (phantom::sys::is_macos()) {
        WARN("secret-tool is the Linux backend; macOS uses security(1)");
        return;
    }
    phantom::test::TempDir empty;
    const ScopedEnv path("PATH", empty.path().string());

    CHECK(store_password(k_account, "pw") == SecretStore::config_file);
    CHECK_FALSE(lookup_password(k_account).has_value());
}
