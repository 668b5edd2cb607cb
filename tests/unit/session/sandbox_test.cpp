// SPDX-License-Identifier: MIT
// Unit tests for the shadow home: mirroring, isolation, drift repair and refusals, in temp dirs.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/error.hpp>
#include <phantom/session/sandbox.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>

#include "catch.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using phantom::session::ensure_shadow_home;
using phantom::session::SandboxLayout;
using phantom::session::SandboxReport;

namespace {

void write_file(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct stat lstat_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

mode_t mode_of(const fs::path& path) {
    return lstat_of(path).st_mode & 07777;
}

std::set<std::string> entries_of(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

bool is_zero(const SandboxReport& report) {
    return report.created_links == 0 && report.repaired_links == 0 && report.removed_links == 0 &&
           !report.created_home && !report.fixed_mode;
}

std::optional<phantom::Fatal> fatal_from(const SandboxLayout& layout) {
    try {
        ensure_shadow_home(layout);
    } catch (const phantom::Fatal& e) {
        return e;
    }
    return std::nullopt;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A fake real home with files, directories, dotfiles, a symlink and the isolated entries;
// the shadow home lives inside it, as ~/.phantom_env does.
struct Homes {
    phantom::test::TempDir tmp;
    fs::path real = tmp.path() / "home";
    fs::path shadow = real / ".phantom_env";

    Homes() {
        fs::create_directory(real);
        write_file(real / "notes.txt", "notes");
        fs::create_directory(real / "projects");
        write_file(real / ".bashrc", "export A=1\n");
        fs::create_directory(real / ".config");
        fs::create_symlink("/nonexistent/target", real / "dangling");
        write_file(real / ".claude.json", "{\"secret\": true}\n");
        fs::create_directory(real / ".claude");
        write_file(real / ".claude" / "credentials", "token");
    }

    [[nodiscard]] SandboxLayout layout() const { return {real, shadow, {".claude", ".claude.json"}}; }
};

const std::set<std::string> k_mirrored = {"notes.txt", "projects", ".bashrc", ".config", "dangling"};

} // namespace

TEST_CASE("sandbox creates a private shadow home mirroring the real home", "[sandbox]") {
    Homes homes;
    const SandboxReport report = ensure_shadow_home(homes.layout());

    CHECK(report.created_home);
    CHECK_FALSE(report.fixed_mode);
    CHECK(report.created_links == static_cast<int>(k_mirrored.size()));
    CHECK(report.repaired_links == 0);
    CHECK(report.removed_links == 0);

    REQUIRE(S_ISDIR(lstat_of(homes.shadow).st_mode));
    CHECK(mode_of(homes.shadow) == 0700);
    CHECK(entries_of(homes.shadow) == k_mirrored);
    for (const std::string& name : k_mirrored) {
        INFO(name);
        const fs::path link = homes.shadow / name;
        REQUIRE(fs::is_symlink(fs::symlink_status(link)));
        const fs::path target = fs::read_symlink(link);
        CHECK(target.is_absolute());
        CHECK(target == homes.real / name);
    }
    CHECK(read_file(homes.shadow / ".bashrc") == "export A=1\n");
    CHECK(fs::is_directory(homes.shadow / "projects"));
}

TEST_CASE("sandbox never links, reads or writes the isolated real entries", "[sandbox]") {
    Homes homes;
    const fs::path real_json = homes.real / ".claude.json";
    // Old times on both: any read would move the atime (relatime updates atimes older than a
    // day), any write the mtime.
    const timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, real_json.c_str(), old_times, AT_SYMLINK_NOFOLLOW) == 0);
    const struct stat before = lstat_of(real_json);
    const std::string content = read_file(real_json);
    REQUIRE(::utimensat(AT_FDCWD, real_json.c_str(), old_times, AT_SYMLINK_NOFOLLOW) == 0);

    ensure_shadow_home(homes.layout());
    ensure_shadow_home(homes.layout());

    CHECK_FALSE(fs::exists(fs::symlink_status(homes.shadow / ".claude.json")));
    CHECK_FALSE(fs::exists(fs::symlink_status(homes.shadow / ".claude")));
    const struct stat after = lstat_of(real_json);
    CHECK(after.st_mtime == 1000000000);
    CHECK(after.st_atime == 1000000000);
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_size == before.st_size);
    CHECK(read_file(real_json) == content);
    CHECK(read_file(homes.real / ".claude" / "credentials") == "token");

    SECTION("the shadow home's own isolated entries are left alone") {
        write_file(homes.shadow / ".claude.json", "{\"own\": true}\n");
        fs::create_directory(homes.shadow / ".claude");
        CHECK(is_zero(ensure_shadow_home(homes.layout())));
        CHECK(read_file(homes.shadow / ".claude.json") == "{\"own\": true}\n");
        CHECK(fs::is_directory(fs::symlink_status(homes.shadow / ".claude")));
    }
}

TEST_CASE("sandbox does not link the shadow home into itself", "[sandbox]") {
    Homes homes;
    SECTION("shadow home inside the real home") {
        ensure_shadow_home(homes.layout());
        CHECK_FALSE(fs::exists(fs::symlink_status(homes.shadow / ".phantom_env")));
    }
    SECTION("the same directory spelled with a trailing slash and a dot") {
        SandboxLayout layout = homes.layout();
        layout.real_home = homes.real.string() + "/";
        layout.shadow_home = homes.real / "." / ".phantom_env";
        ensure_shadow_home(layout);
        CHECK(entries_of(homes.shadow) == k_mirrored);
    }
    SECTION("a shadow home elsewhere mirrors a real entry of the same name") {
        fs::create_directory(homes.real / ".phantom_env");
        SandboxLayout layout = homes.layout();
        layout.shadow_home = homes.tmp.path() / "elsewhere" / ".phantom_env";
        const SandboxReport report = ensure_shadow_home(layout);
        CHECK(report.created_home);
        CHECK(mode_of(layout.shadow_home) == 0700);
        CHECK(fs::read_symlink(layout.shadow_home / ".phantom_env") == homes.real / ".phantom_env");
    }
}

TEST_CASE("sandbox repairs drift on later runs", "[sandbox]") {
    Homes homes;
    ensure_shadow_home(homes.layout());

    SECTION("a steady-state run changes nothing") {
        CHECK(is_zero(ensure_shadow_home(homes.layout())));
        CHECK(entries_of(homes.shadow) == k_mirrored);
    }
    SECTION("new real entries are mirrored") {
        write_file(homes.real / ".new_dotfile", "x");
        fs::create_directory(homes.real / "new_dir");
        const SandboxReport report = ensure_shadow_home(homes.layout());
        CHECK(report.created_links == 2);
        CHECK(fs::read_symlink(homes.shadow / ".new_dotfile") == homes.real / ".new_dotfile");
        CHECK(fs::read_symlink(homes.shadow / "new_dir") == homes.real / "new_dir");
    }
    SECTION("links of deleted real entries are removed") {
        fs::remove(homes.real / "notes.txt");
        fs::remove(homes.real / "projects");
        const SandboxReport report = ensure_shadow_home(homes.layout());
        CHECK(report.removed_links == 2);
        CHECK(report.created_links == 0);
        CHECK_FALSE(fs::exists(fs::symlink_status(homes.shadow / "notes.txt")));
        CHECK_FALSE(fs::exists(fs::symlink_status(homes.shadow / "projects")));
    }
    SECTION("a link pointing elsewhere is re-pointed") {
        fs::remove(homes.shadow / ".bashrc");
        fs::create_symlink(homes.tmp.path() / "stale", homes.shadow / ".bashrc");
        fs::remove(homes.shadow / "projects");
        fs::create_symlink("../projects", homes.shadow / "projects");
        const SandboxReport report = ensure_shadow_home(homes.layout());
        CHECK(report.repaired_links == 2);
        CHECK(report.created_links == 0);
        CHECK(fs::read_symlink(homes.shadow / ".bashrc") == homes.real / ".bashrc");
        CHECK(fs::read_symlink(homes.shadow / "projects") == homes.real / "projects");
        CHECK(entries_of(homes.shadow) == k_mirrored); // no temp link left behind
    }
    SECTION("the shadow home's own files win over real entries of the same name") {
        fs::remove(homes.shadow / ".bashrc");
        write_file(homes.shadow / ".bashrc", "own");
        fs::remove(homes.shadow / ".config");
        fs::create_directory(homes.shadow / ".config");
        write_file(homes.shadow / "scratch.txt", "mine");
        CHECK(is_zero(ensure_shadow_home(homes.layout())));
        CHECK(read_file(homes.shadow / ".bashrc") == "own");
        CHECK(fs::is_directory(fs::symlink_status(homes.shadow / ".config")));
        CHECK(read_file(homes.shadow / "scratch.txt") == "mine");
        SECTION("even when the real entry disappears") {
            fs::remove(homes.real / ".bashrc");
            CHECK(ensure_shadow_home(homes.layout()).removed_links == 0);
            CHECK(read_file(homes.shadow / ".bashrc") == "own");
        }
    }
    SECTION("the user's own symlinks are kept") {
        fs::create_symlink("/etc", homes.shadow / "etc_link");
        fs::create_symlink("/nonexistent/elsewhere", homes.shadow / "dangling_elsewhere");
        fs::create_symlink(homes.real / "notes.txt", homes.shadow / "alias");
        fs::create_symlink(homes.real / "projects" / "gone", homes.shadow / "deep");
        fs::create_symlink("relative/gone", homes.shadow / "relative");
        CHECK(is_zero(ensure_shadow_home(homes.layout())));
        for (const char* name : {"etc_link", "dangling_elsewhere", "alias", "deep", "relative"}) {
            INFO(name);
            CHECK(fs::is_symlink(fs::symlink_status(homes.shadow / name)));
        }
    }
    SECTION("a dangling link into the real home under another name is removed") {
        fs::create_symlink(homes.real / "was_here", homes.shadow / "renamed");
        CHECK(ensure_shadow_home(homes.layout()).removed_links == 1);
        CHECK_FALSE(fs::exists(fs::symlink_status(homes.shadow / "renamed")));
    }
    SECTION("a wider mode is fixed back to 0700") {
        REQUIRE(::chmod(homes.shadow.c_str(), 0755) == 0);
        const SandboxReport report = ensure_shadow_home(homes.layout());
        CHECK(report.fixed_mode);
        CHECK_FALSE(report.created_home);
        CHECK(report.created_links == 0);
        CHECK(mode_of(homes.shadow) == 0700);
    }
}

TEST_CASE("sandbox refuses unsafe shadow homes", "[sandbox]") {
    Homes homes;

    SECTION("the shadow home is a symlink") {
        const fs::path other = homes.tmp.path() / "other";
        fs::create_directory(other);
        fs::create_symlink(other, homes.shadow);
        const auto fatal = fatal_from(homes.layout());
        REQUIRE(fatal);
        CHECK(fatal->code() == phantom::exit_code::k_config);
        CHECK(contains(fatal->what(), homes.shadow.string()));
        CHECK(contains(fatal->what(), "symlink"));
        CHECK(contains(fatal->hint(), "rm " + homes.shadow.string()));
        CHECK(fs::is_empty(other));
    }
    SECTION("the shadow home is a regular file") {
        write_file(homes.shadow, "data");
        const auto fatal = fatal_from(homes.layout());
        REQUIRE(fatal);
        CHECK(fatal->code() == phantom::exit_code::k_config);
        CHECK(contains(fatal->what(), homes.shadow.string()));
        CHECK(contains(fatal->what(), "not a directory"));
        CHECK_FALSE(fatal->hint().empty());
        CHECK(read_file(homes.shadow) == "data");
    }
    SECTION("an isolated name in the shadow home is a symlink") {
        ensure_shadow_home(homes.layout());
        const fs::path link = homes.shadow / ".claude.json";
        fs::create_symlink(homes.real / ".claude.json", link);
        fs::remove(homes.real / "notes.txt");
        const auto fatal = fatal_from(homes.layout());
        REQUIRE(fatal);
        CHECK(fatal->code() == phantom::exit_code::k_config);
        CHECK(contains(fatal->what(), link.string()));
        CHECK_FALSE(fatal->hint().empty());
        CHECK(contains(fatal->hint(), "rm " + link.string()));
        // Refused before any change: the stale link is still there.
        CHECK(fs::is_symlink(fs::symlink_status(homes.shadow / "notes.txt")));
        CHECK(read_file(homes.real / ".claude.json") == "{\"secret\": true}\n");
    }
    SECTION("an isolated directory name in the shadow home is a symlink") {
        fs::create_directory(homes.shadow);
        fs::create_directory_symlink(homes.real / ".claude", homes.shadow / ".claude");
        const auto fatal = fatal_from(homes.layout());
        REQUIRE(fatal);
        CHECK(contains(fatal->what(), (homes.shadow / ".claude").string()));
    }
    SECTION("the shadow home is owned by another user") {
        if (::geteuid() != 0) {
            WARN("skipped: changing the shadow home's owner to another uid needs root");
            return;
        }
        fs::create_directory(homes.shadow);
        REQUIRE(::chown(homes.shadow.c_str(), 65534, 65534) == 0);
        const auto fatal = fatal_from(homes.layout());
        REQUIRE(fatal);
        CHECK(fatal->code() == phantom::exit_code::k_config);
        CHECK(contains(fatal->what(), homes.shadow.string()));
        CHECK(contains(fatal->what(), "owned by"));
        CHECK(contains(fatal->hint(), "chown"));
        CHECK(fs::is_empty(homes.shadow));
    }
}

TEST_CASE("sandbox rejects invalid layouts", "[sandbox]") {
    Homes homes;
    SandboxLayout layout = homes.layout();

    SECTION("isolated names must be plain entry names") {
        for (const char* bad : {"", ".", "..", "a/b", "/.claude", ".claude/"}) {
            INFO("isolated name: \"" << bad << "\"");
            layout.isolated = {".claude", bad};
            const auto fatal = fatal_from(layout);
            REQUIRE(fatal);
            CHECK(fatal->code() == phantom::exit_code::k_config);
            CHECK_FALSE(fatal->hint().empty());
        }
        CHECK_FALSE(fs::exists(homes.shadow));
    }
    SECTION("the shadow home must not be the real home") {
        for (const fs::path& same : {homes.real, fs::path(homes.real.string() + "/"), homes.real / "."}) {
            INFO(same.string());
            layout.shadow_home = same;
            const auto fatal = fatal_from(layout);
            REQUIRE(fatal);
            CHECK(fatal->code() == phantom::exit_code::k_config);
        }
        CHECK(entries_of(homes.real).count("notes.txt") == 1);
    }
    SECTION("the shadow home must not be the real home reached through a symlink") {
        const fs::path alias = homes.tmp.path() / "alias";
        fs::create_directory_symlink(homes.real, alias);
        layout.real_home = alias;
        layout.shadow_home = homes.real;
        REQUIRE(::chmod(homes.real.c_str(), 0755) == 0);
        const auto fatal = fatal_from(layout);
        REQUIRE(fatal);
        CHECK(fatal->code() == phantom::exit_code::k_config);
        CHECK(mode_of(homes.real) == 0755);
    }
    SECTION("the shadow home must not contain the real home") {
        REQUIRE(::chmod(homes.tmp.path().c_str(), 0755) == 0);
        layout.shadow_home = homes.tmp.path();
        const auto fatal = fatal_from(layout);
        REQUIRE(fatal);
        CHECK(fatal->code() == phantom::exit_code::k_config);
        CHECK(contains(fatal->what(), "contains the real home"));
        CHECK(mode_of(homes.tmp.path()) == 0755);
        CHECK(entries_of(homes.tmp.path()) == std::set<std::string>{"home"});
    }
    SECTION("paths must be absolute") {
        layout.shadow_home = ".phantom_env";
        CHECK(fatal_from(layout));
        layout = homes.layout();
        layout.real_home = "home";
        CHECK(fatal_from(layout));
    }
}

TEST_CASE("sandbox steady state on a 100-entry home", "[sandbox-perf][.]") {
    phantom::test::TempDir tmp;
    const fs::path real = tmp.path() / "home";
    fs::create_directory(real);
    for (int i = 0; i < 100; ++i) {
        write_file(real / (".dotfile_" + std::to_string(i)), "x");
    }
    const SandboxLayout layout{real, real / ".phantom_env", {".claude", ".claude.json"}};
    ensure_shadow_home(layout);
    constexpr int k_runs = 1000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < k_runs; ++i) {
        REQUIRE(is_zero(ensure_shadow_home(layout)));
    }
    const auto per_run =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start) / k_runs;
    WARN("steady-state ensure_shadow_home: " << per_run.count() << " us per run");
    CHECK(per_run.count() < 1000.0);
}

namespace {

/// Sets `dir`'s mtime `seconds_ago` in the past, as an old, settled home has.
void age_directory(const std::filesystem::path& dir, int seconds_ago) {
    const auto when = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(seconds_ago);
    std::filesystem::last_write_time(dir, when);
}

} // namespace

TEST_CASE("steady state skips the pass only while neither directory changed", "[sandbox]") {
    phantom::test::TempDir tmp;
    const auto real = tmp.path() / "home";
    std::filesystem::create_directory(real);
    // Outside the real home: creating it inside would itself change the real home's mtime.
    const auto shadow = tmp.path() / "shadow";
    const SandboxLayout layout{real, shadow, {".claude", ".claude.json"}};
    std::ofstream(real / "a") << "a";
    age_directory(real, 60);

    CHECK(ensure_shadow_home(layout).created_links == 1);
    // Stamped: a link re-pointed behind phantom's back while the stamp is kept (mtime reset
    // by hand) is not looked at, which is what makes the steady state cheap ...
    const auto stamp = std::filesystem::last_write_time(shadow);
    std::filesystem::remove(shadow / "a");
    std::filesystem::create_symlink("/elsewhere", shadow / "a");
    std::filesystem::last_write_time(shadow, stamp);
    CHECK(ensure_shadow_home(layout).repaired_links == 0);
    CHECK(std::filesystem::read_symlink(shadow / "a") == "/elsewhere");
    // ... but any real change to either list breaks the stamp and the pass runs again.
    std::filesystem::remove(shadow / "a");
    std::filesystem::create_symlink("/elsewhere", shadow / "a");
    CHECK(ensure_shadow_home(layout).repaired_links == 1);
    CHECK(std::filesystem::read_symlink(shadow / "a") == real / "a");

    std::ofstream(real / "b") << "b";
    age_directory(real, 30);
    CHECK(ensure_shadow_home(layout).created_links == 1);
    CHECK(std::filesystem::is_symlink(shadow / "b"));
    CHECK(ensure_shadow_home(layout).created_links == 0);

    // A real home changed just now is never trusted: every run does the full pass.
    std::ofstream(real / "c") << "c";
    CHECK(ensure_shadow_home(layout).created_links == 1);
    std::filesystem::remove(shadow / "c");
    CHECK(ensure_shadow_home(layout).created_links == 1);
}
