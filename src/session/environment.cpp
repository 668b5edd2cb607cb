// SPDX-License-Identifier: MIT
// The child's environment: proxy variables, NO_PROXY, HOME and PHANTOM_ACTIVE; nothing else.
#include <phantom/session/environment.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace phantom::session {
namespace {

std::string single_quoted(const std::string& value) {
    // POSIX sh: nothing is special inside '…' except the quote itself, written '\''.
    std::string out = "'";
    for (const char c : value) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string fish_quoted(const std::string& value) {
    // fish: inside '…' only \\ and \' are escapes.
    std::string out = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '\'';
    return out;
}

} // namespace

std::vector<std::pair<std::string, std::string>> phantom_variables(const EnvironmentSpec& spec) {
    // Both cases: curl and most Unix tools read lower case (and ignore upper-case
    // HTTP_PROXY for CGI-safety), Go, Node and Python read either.
    std::vector<std::string> no_proxy = {"localhost", "127.0.0.1", "::1"};
    no_proxy.insert(no_proxy.end(), spec.no_proxy_extra.begin(), spec.no_proxy_extra.end());
    const std::string no_proxy_value = fmt::format("{}", fmt::join(no_proxy, ","));
    return {
        {"HTTP_PROXY", spec.http_proxy_url},
        {"HTTPS_PROXY", spec.http_proxy_url},
        {"ALL_PROXY", spec.all_proxy_url},
        {"http_proxy", spec.http_proxy_url},
        {"https_proxy", spec.http_proxy_url},
        {"all_proxy", spec.all_proxy_url},
        {"NO_PROXY", no_proxy_value},
        {"no_proxy", no_proxy_value},
        // Node 24+ (and Claude Code's runtime) honour HTTP(S)_PROXY only when asked to.
        {"NODE_USE_ENV_PROXY", "1"},
        {"HOME", spec.shadow_home.string()},
        {k_active_variable, "1"},
    };
}

sys::Environment build_child_environment(const sys::Environment& parent, const EnvironmentSpec& spec) {
    sys::Environment env = parent;
    for (auto& [name, value] : phantom_variables(spec)) {
        env[name] = std::move(value);
    }
    return env;
}

std::string render_exports(const std::vector<std::pair<std::string, std::string>>& vars, ShellSyntax shell) {
    std::string out;
    for (const auto& [name, value] : vars) {
        if (shell == ShellSyntax::fish) {
            out += fmt::format("set -gx {} {};\n", name, fish_quoted(value));
        } else {
            out += fmt::format("export {}={};\n", name, single_quoted(value));
        }
    }
    return out;
}

} // namespace phantom::session
