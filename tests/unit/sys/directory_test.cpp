// SPDX-License-Identifier: MIT
// The open-directory primitives: listing, kinds, links, mode and their errno values, in temp dirs.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <phantom/sys/directory.hpp>
#include <phantom/sys/platform.hpp>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using phantom::sys::Directory;
using phantom::sys::DirEntry;
using phantom::sys::EntryKind;
using phantom::sys::LinkBuffer;
using phantom::sys::UnknownKinds;

namespace {

template <class T>
int errno_of(const phantom::sys::Result<T>& result) {
    if (result) {
        return 0;
    }
    CHECK(result.error().category() == boost::system::system_category());
    return result.error().value();
}

struct stat lstat_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

struct Listed {
    EntryKind kind = EntryKind::unknown;
    ino_t inode = 0;
};

std::map<std::string, Listed> list(Directory& dir) {
    std::map<std::string, Listed> entries;
    const auto listed = dir.for_each_entry(UnknownKinds::lstat, [&](const DirEntry& entry) {
        CHECK(entries.emplace(std::string(entry.name), Listed{entry.kind, entry.inode}).second);
    });
    REQUIRE(listed);
    return entries;
}

// A directory with one entry of each kind the listing tells apart.
struct Tree {
    phantom::test::TempDir tmp;
    fs::path dir = tmp.path() / "dir";

    Tree() {
        fs::create_directory(dir);
        std::ofstream(dir / "file") << "content";
        fs::create_directory(dir / "sub");
        fs::create_symlink(dir / "file", dir / "link");
        fs::create_symlink("/nonexistent/target", dir / "dangling");
        fs::create_directory_symlink(dir / "sub", dir / "sub_link");
    }
};

} // namespace

TEST_CASE("directory lists every entry but . and .. with its kind and inode", "[directory]") {
    Tree tree;
    auto dir = Directory::open(tree.dir, false);
    REQUIRE(dir.has_value());
    const auto entries = list(*dir);

    const std::map<std::string, EntryKind> expected = {{"file", EntryKind::other},
                                                       {"sub", EntryKind::directory},
                                                       {"link", EntryKind::link},
                                                       {"dangling", EntryKind::link},
                                                       {"sub_link", EntryKind::link}};
    REQUIRE(entries.size() == expected.size());
    for (const auto& [name, kind] : expected) {
        INFO(name);
        REQUIRE(entries.count(name) == 1);
        CHECK(entries.at(name).kind == kind);
        CHECK(entries.at(name).inode == lstat_of(tree.dir / name).st_ino);
    }

    SECTION("a second listing starts again from the beginning") {
        CHECK(list(*dir).size() == expected.size());
    }
    SECTION("kept unknown kinds are still reported, as unknown or as read") {
        int seen = 0;
        REQUIRE(dir->for_each_entry(UnknownKinds::keep, [&](const DirEntry& entry) {
            ++seen;
            if (entry.kind != EntryKind::unknown) {
                CHECK(entry.kind == expected.at(std::string(entry.name)));
            }
        }));
        CHECK(seen == static_cast<int>(expected.size()));
    }
    SECTION("an exception from the visitor propagates") {
        CHECK_THROWS_AS(dir->for_each_entry(UnknownKinds::keep,
                                            [](const DirEntry&) { throw std::runtime_error("stop"); }),
                        std::runtime_error);
    }
}

TEST_CASE("an empty directory lists nothing", "[directory]") {
    phantom::test::TempDir tmp;
    auto dir = Directory::open(tmp.path(), false);
    REQUIRE(dir.has_value());
    CHECK(list(*dir).empty());
}

TEST_CASE("directory open follows a final symlink only when asked", "[directory]") {
    Tree tree;
    SECTION("not following: a symlink to a directory is refused") {
        // Linux checks O_DIRECTORY against the link itself before O_NOFOLLOW: ENOTDIR.
        const int error = errno_of(Directory::open(tree.dir / "sub_link", false));
        CHECK((error == ELOOP || error == ENOTDIR));
    }
    SECTION("following: the link's directory is opened") {
        auto dir = Directory::open(tree.dir / "sub_link", true);
        REQUIRE(dir.has_value());
        CHECK(dir->stat().value().inode == lstat_of(tree.dir / "sub").st_ino);
    }
    SECTION("symlinks in parent components are followed either way") {
        CHECK(Directory::open(tree.dir / "sub_link" / ".", false).has_value());
    }
    SECTION("a regular file, a missing path and a dangling link fail with errno") {
        CHECK(errno_of(Directory::open(tree.dir / "file", true)) == ENOTDIR);
        CHECK(errno_of(Directory::open(tree.dir / "file", false)) == ENOTDIR);
        CHECK(errno_of(Directory::open(tree.dir / "missing", false)) == ENOENT);
        CHECK(errno_of(Directory::open(tree.dir / "dangling", true)) == ENOENT);
    }
}

TEST_CASE("directory stat and chmod act on the directory itself", "[directory]") {
    Tree tree;
    REQUIRE(::chmod(tree.dir.c_str(), 0750) == 0);
    auto dir = Directory::open(tree.dir, false);
    REQUIRE(dir.has_value());
    const struct stat st = lstat_of(tree.dir);
    const auto dir_st = dir->stat();
    REQUIRE(dir_st.has_value());
    CHECK(dir_st->owner == ::geteuid());
    CHECK(dir_st->mode == 0750);
    CHECK(dir_st->device == st.st_dev);
    CHECK(dir_st->inode == st.st_ino);

    REQUIRE(dir->chmod(0700));
    CHECK((lstat_of(tree.dir).st_mode & 07777) == 0700);
    CHECK(dir->stat().value().mode == 0700);
    REQUIRE(dir->chmod(01755));
    CHECK(dir->stat().value().mode == 01755);
}

TEST_CASE("directory reads links into the caller's buffer", "[directory]") {
    Tree tree;
    auto dir = Directory::open(tree.dir, false);
    REQUIRE(dir.has_value());
    LinkBuffer buffer{};

    const auto target = dir->read_link("link", buffer);
    REQUIRE(target);
    CHECK(*target == (tree.dir / "file").string());
    CHECK(target->data() == buffer.data());
    CHECK(dir->read_link("dangling", buffer).value() == "/nonexistent/target");

    SECTION("not a link, missing, and bad names fail with errno") {
        CHECK(errno_of(dir->read_link("file", buffer)) == EINVAL);
        CHECK(errno_of(dir->read_link("sub", buffer)) == EINVAL);
        CHECK(errno_of(dir->read_link("missing", buffer)) == ENOENT);
        CHECK(errno_of(dir->read_link(std::string("li\0nk", 5), buffer)) == EINVAL);
        CHECK(errno_of(dir->read_link(std::string(5000, 'a'), buffer)) == ENAMETOOLONG);
    }
    SECTION("a target that fills the whole buffer counts as cut short") {
        const std::string exact = "/nonexistent/target";
        std::vector<char> small(exact.size());
        CHECK(errno_of(dir->read_link("dangling", small)) == ENAMETOOLONG);
        small.resize(exact.size() + 1);
        CHECK(dir->read_link("dangling", small).value() == exact);
    }
    SECTION("a visited entry's link is read by the entry itself") {
        std::map<std::string, std::string> targets;
        REQUIRE(dir->for_each_entry(UnknownKinds::lstat, [&](const DirEntry& entry) {
            const auto read = dir->read_link(entry, buffer);
            if (entry.kind == EntryKind::link) {
                REQUIRE(read.has_value());
                targets.emplace(std::string(entry.name), std::string(*read));
            } else {
                CHECK(errno_of(read) == EINVAL);
            }
        }));
        CHECK(targets == std::map<std::string, std::string>{{"dangling", "/nonexistent/target"},
                                                            {"link", (tree.dir / "file").string()},
                                                            {"sub_link", (tree.dir / "sub").string()}});
    }
    SECTION("a path relative to the directory works too") {
        fs::create_symlink("deep", tree.dir / "sub" / "inner");
        CHECK(dir->read_link("sub/inner", buffer).value() == "deep");
    }
}

TEST_CASE("directory creates, renames and removes links by name", "[directory]") {
    Tree tree;
    auto dir = Directory::open(tree.dir, false);
    REQUIRE(dir.has_value());

    REQUIRE(dir->symlink("/some/target", "new"));
    CHECK(fs::read_symlink(tree.dir / "new") == "/some/target");
    CHECK(errno_of(dir->symlink("/other", "new")) == EEXIST);
    CHECK(errno_of(dir->symlink("/other", "file")) == EEXIST);
    CHECK(fs::read_symlink(tree.dir / "new") == "/some/target");

    SECTION("rename replaces an existing link in one step") {
        REQUIRE(dir->symlink("/replacement", ".tmp-link"));
        REQUIRE(dir->rename(".tmp-link", "new"));
        CHECK(fs::read_symlink(tree.dir / "new") == "/replacement");
        CHECK_FALSE(fs::exists(fs::symlink_status(tree.dir / ".tmp-link")));
        CHECK(errno_of(dir->rename(".tmp-link", "new")) == ENOENT);
    }
    SECTION("unlink removes the link, not its target") {
        REQUIRE(dir->unlink("link"));
        CHECK_FALSE(fs::exists(fs::symlink_status(tree.dir / "link")));
        CHECK(fs::exists(tree.dir / "file"));
        CHECK(errno_of(dir->unlink("link")) == ENOENT);
        REQUIRE(dir->unlink("sub_link"));
        CHECK(fs::is_directory(tree.dir / "sub"));
    }
    SECTION("unlink refuses a directory") {
        CHECK(errno_of(dir->unlink("sub")) != 0);
        CHECK(fs::is_directory(fs::symlink_status(tree.dir / "sub")));
    }
    SECTION("names with a NUL or longer than a path are refused before any system call") {
        CHECK(errno_of(dir->symlink(std::string("/t\0x", 4), "x")) == EINVAL);
        CHECK(errno_of(dir->symlink("/t", std::string("x\0y", 3))) == EINVAL);
        CHECK(errno_of(dir->rename("new", std::string(5000, 'a'))) == ENAMETOOLONG);
        CHECK(errno_of(dir->unlink(std::string("new\0", 4))) == EINVAL);
        CHECK(fs::is_symlink(fs::symlink_status(tree.dir / "new")));
        CHECK_FALSE(fs::exists(fs::symlink_status(tree.dir / "x")));
    }
}

TEST_CASE("directory names stay relative to the opened directory after it moves", "[directory]") {
    Tree tree;
    auto dir = Directory::open(tree.dir, false);
    REQUIRE(dir.has_value());
    const fs::path moved = tree.tmp.path() / "moved";
    fs::rename(tree.dir, moved);
    REQUIRE(dir->symlink("/t", "after_move"));
    CHECK(fs::is_symlink(fs::symlink_status(moved / "after_move")));
    CHECK_FALSE(fs::exists(tree.dir));
}

TEST_CASE("a moved directory handle keeps working", "[directory]") {
    Tree tree;
    auto opened = Directory::open(tree.dir, false);
    REQUIRE(opened.has_value());
    Directory dir = std::move(*opened);
    CHECK(list(dir).size() == 5);
    Directory other = Directory::open(tree.dir / "sub", false).value();
    other = std::move(dir);
    LinkBuffer buffer{};
    CHECK(other.read_link("link", buffer).value() == (tree.dir / "file").string());
    CHECK(list(other).size() == 5);
}

TEST_CASE("make_directory creates one directory and reports what is in the way", "[directory]") {
    phantom::test::TempDir tmp;
    const fs::path dir = tmp.path() / "made";
    const mode_t old_umask = ::umask(022);
    const auto made = phantom::sys::make_directory(dir, 0750);
    ::umask(old_umask);
    REQUIRE(made);
    CHECK(S_ISDIR(lstat_of(dir).st_mode));
    CHECK((lstat_of(dir).st_mode & 07777) == 0750);

    CHECK(errno_of(phantom::sys::make_directory(dir, 0700)) == EEXIST);
    fs::create_symlink("/nonexistent/target", tmp.path() / "dangling");
    CHECK(errno_of(phantom::sys::make_directory(tmp.path() / "dangling", 0700)) == EEXIST);
    CHECK(errno_of(phantom::sys::make_directory(tmp.path() / "missing" / "child", 0700)) == ENOENT);
}

TEST_CASE("user_name and current_pid describe this process", "[directory]") {
    const passwd* own = ::getpwuid(::geteuid());
    if (own != nullptr) {
        CHECK(phantom::sys::user_name(::geteuid()) == own->pw_name);
    } else {
        CHECK(phantom::sys::user_name(::geteuid()) == std::to_string(::geteuid()));
    }
    constexpr uid_t k_unlikely_uid = 2147483000;
    if (::getpwuid(k_unlikely_uid) == nullptr) {
        CHECK(phantom::sys::user_name(k_unlikely_uid) == "2147483000");
    }
    CHECK(phantom::sys::current_pid() == ::getpid());
}
