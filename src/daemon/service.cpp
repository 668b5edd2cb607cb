// SPDX-License-Identifier: MIT
// The launchd agent and systemd user unit that start the daemon at login.
#include <phantom/daemon/service.hpp>
#include <phantom/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace phantom::daemon {
namespace {

// Where the programs phantom runs are found when the service manager starts it: launchd and
// systemd give a bare PATH, without Homebrew's prefixes.
constexpr const char* k_system_path = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin";

std::string search_path(const std::filesystem::path& phantom) {
    return phantom.parent_path().string() + ":" + k_system_path;
}

/// '%' doubled: systemd expands %-specifiers in ExecStart= and Environment= (systemd.unit(5)).
std::string systemd_escaped(const std::string& text) {
    std::string out;
    for (const char c : text) {
        out += c;
        if (c == '%') {
            out += '%';
        }
    }
    return out;
}

std::string xml_escaped(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string systemd_unit(const std::filesystem::path& phantom,
                         const std::optional<std::filesystem::path>& config) {
    return fmt::format(
        R"(# Written by `phantom connect --install-service`; `phantom connect --uninstall-service`
# stops and removes it. `phantom disconnect` stops the tunnel until the next login.
[Unit]
Description=phantom: the tunnel to the team server
Documentation=man:phantom(1)

[Service]
Type=simple
ExecStart="{}" connect --foreground
Environment="PATH={}"{}
# A failed start (no network yet) is retried; a usage or config error (64, 78) is not: it
# needs the user, and its cause is in ~/.phantom/log.
Restart=on-failure
RestartSec=10
RestartPreventExitStatus=64 78

[Install]
WantedBy=default.target
)",
        systemd_escaped(phantom.string()), systemd_escaped(search_path(phantom)),
        config ? fmt::format("\nEnvironment=\"PHANTOM_CONFIG={}\"", systemd_escaped(config->string()))
               : std::string());
}

std::string launchd_plist(const std::filesystem::path& phantom, const std::filesystem::path& home,
                          const std::optional<std::filesystem::path>& config) {
    const auto log = home / ".phantom" / "log" / "service.log";
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by phantom connect with its install-service option; its uninstall-service option removes it. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{}</string>
  <key>ProgramArguments</key>
  <array>
    <string>{}</string>
    <string>connect</string>
    <string>--foreground</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>{}</string>{}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>10</integer>
  <key>StandardOutPath</key>
  <string>{}</string>
  <key>StandardErrorPath</key>
  <string>{}</string>
</dict>
</plist>
)",
                       k_launchd_label, xml_escaped(phantom.string()), xml_escaped(search_path(phantom)),
                       config ? fmt::format("\n    <key>PHANTOM_CONFIG</key>\n    <string>{}</string>",
                                            xml_escaped(config->string()))
                              : std::string(),
                       xml_escaped(log.string()), xml_escaped(log.string()));
}

} // namespace

std::filesystem::path service_file(ServiceManager manager, const std::filesystem::path& home,
                                   const sys::Environment& env) {
    if (manager == ServiceManager::launchd) {
        return home / "Library" / "LaunchAgents" / (std::string(k_launchd_label) + ".plist");
    }
    const auto xdg = env.find("XDG_CONFIG_HOME");
    const std::filesystem::path config =
        xdg != env.end() && !xdg->second.empty() && xdg->second.front() == '/'
            ? std::filesystem::path(xdg->second)
            : home / ".config";
    return config / "systemd" / "user" / k_systemd_unit;
}

std::string service_text(ServiceManager manager, const std::filesystem::path& phantom,
                         const std::filesystem::path& home,
                         const std::optional<std::filesystem::path>& config) {
    for (const auto* path : {&phantom, config ? &*config : &phantom}) {
        const std::string text = path->string();
        const bool unsafe = std::any_of(text.begin(), text.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u < 0x20 || u == 0x7f || c == '"' || c == '\\' || c == '$'; // $: systemd expands it
        });
        if (!path->is_absolute() || unsafe) {
            throw Error(fmt::format("a service cannot use \"{}\": the path must be absolute, without quotes, "
                                    "backslashes, dollar signs or control characters",
                                    text),
                        "keep phantom and its config in plain directories (e.g. /usr/local/bin, ~/.phantom)");
        }
    }
    return manager == ServiceManager::launchd ? launchd_plist(phantom, home, config)
                                              : systemd_unit(phantom, config);
}

} // namespace phantom::daemon
