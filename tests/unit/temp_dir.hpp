// SPDX-License-Identifier: MIT
// A private temporary directory for one test, removed at scope exit.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace phantom::test {

class TempDir {
public:
    TempDir() {
        // mkdtemp makes it 0700, which the sandbox and config permission checks expect.
        std::string templ = (std::filesystem::temp_directory_path() / "phantom-test-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = templ;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace phantom::test
