// SPDX-License-Identifier: MIT
// The child's environment: proxy variables, NO_PROXY, HOME and PHANTOM_ACTIVE; nothing else.
#pragma once

#include <phantom/sys/platform.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace phantom::session {

/// The values phantom sets in a child.
struct EnvironmentSpec {
    std::filesystem::path shadow_home;
    std::string http_proxy_url; ///< HTTP_PROXY / HTTPS_PROXY (+ lower case)
    std::string all_proxy_url;  ///< ALL_PROXY (+ lower case)
    std::vector<std::string> no_proxy_extra;
};

/// The variables phantom sets (name -> value), in a stable order for printing.
std::vector<std::pair<std::string, std::string>> phantom_variables(const EnvironmentSpec& spec);

/// `parent` with phantom_variables() applied; every other variable is kept as is.
sys::Environment build_child_environment(const sys::Environment& parent, const EnvironmentSpec& spec);

/// Shells `phantom env --shell` can print for.
enum class ShellSyntax { sh, bash, zsh, fish };

/// Export lines for `vars`, quoted so that any value survives (single quotes; fish escaping).
std::string render_exports(const std::vector<std::pair<std::string, std::string>>& vars, ShellSyntax shell);

/// Name of the marker variable; when set in the parent, `phantom CMD` runs CMD unchanged.
inline constexpr const char* k_active_variable = "PHANTOM_ACTIVE";

} // namespace phantom::session
