// SPDX-License-Identifier: MIT
// Atomic writes, private directories and lstat values.
#include <sys/stat.h>

#include <phantom/sys/fs.hpp>

#include "catch.hpp"
#include "temp_dir.hpp"

using namespace phantom::sys;

TEST_CASE("atomic write replaces content with the given mode and leaves no temp file", "[fs]") {
    phantom::test::TempDir tmp;
    const auto file = tmp.path() / "f";
    REQUIRE(write_file_atomic(file, "one", 0600));
    REQUIRE(write_file_atomic(file, "two", 0640));
    CHECK(read_file(file).value() == "two");
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) {
        ++entries;
    }
    CHECK(entries == 1);
}

TEST_CASE("atomic write into a missing directory fails cleanly", "[fs]") {
    phantom::test::TempDir tmp;
    CHECK_FALSE(write_file_atomic(tmp.path() / "missing" / "f", "x", 0600));
}

TEST_CASE("ensure_private_dir creates, tightens and refuses links", "[fs]") {
    phantom::test::TempDir tmp;
    const auto dir = tmp.path() / "a" / "b";
    REQUIRE(ensure_private_dir(dir, 0700));
    CHECK(file_status(dir).value().mode == 0700);
    CHECK(file_status(dir.parent_path()).value().mode == 0700);
    ::chmod(dir.c_str(), 0755);
    REQUIRE(ensure_private_dir(dir, 0700));
    CHECK(file_status(dir).value().mode == 0700);

    std::filesystem::create_directory_symlink(dir, tmp.path() / "link");
    CHECK_FALSE(ensure_private_dir(tmp.path() / "link", 0700));
}

TEST_CASE("file_status reports without following links", "[fs]") {
    phantom::test::TempDir tmp;
    CHECK_FALSE(file_status(tmp.path() / "none").value().exists);
    std::filesystem::create_symlink("/nonexistent", tmp.path() / "dangling");
    const auto st = file_status(tmp.path() / "dangling").value();
    CHECK(st.exists);
    CHECK(st.is_symlink);
    CHECK_FALSE(st.is_directory);
}
