// SPDX-License-Identifier: MIT
// `phantom init`: write ~/.phantom/config, pin the host key, store the password, make a key.
#include <phantom/config/config.hpp>
#include <phantom/config/invite.hpp>
#include <phantom/config/known_hosts.hpp>
#include <phantom/config/secrets.hpp>
#include <phantom/config/shell_rc.hpp>
#include <phantom/config/validation.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/process.hpp>
#include <phantom/sys/terminal.hpp>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"

namespace po = boost::program_options;

namespace phantom::cli {
namespace {

constexpr const char* k_usage_line =
    "usage: phantom init [--invite URI|-] [--host H --port P --user U --socks-user NAME --password-stdin "
    "--ssh-key FILE --host-key 'TYPE BASE64' --mode dante|direct] [--yes] [--alias]";

struct InitOptions {
    std::optional<std::string> invite;
    std::optional<std::string> host;
    std::optional<int> port;
    std::optional<std::string> user;
    std::optional<std::string> socks_user;
    std::optional<std::string> ssh_key;
    std::optional<std::string> host_key;
    std::optional<std::string> mode;
    std::optional<std::string> dante_host;
    std::optional<int> dante_port;
    bool password_stdin = false;
    bool yes = false;
    bool alias = false;
};

[[noreturn]] void usage_error(const std::string& message) {
    throw Fatal(exit_code::k_usage, message, k_usage_line);
}

std::optional<std::uint16_t> to_port(long long value) {
    if (value < 1 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

std::uint16_t port_or_fail(int value, const char* flag) {
    auto port = to_port(value);
    if (!port) {
        usage_error(fmt::format("{} {} is out of range (1-65535)", flag, value));
    }
    return *port;
}

void check_or_fail(const std::optional<std::string>& problem, const std::string& what) {
    if (problem) {
        usage_error(fmt::format("{}: {}", what, *problem));
    }
}

/// Asks until `validate` accepts the answer; an empty answer keeps `current`.
std::string ask(const std::string& question, const std::string& current,
                const std::function<std::optional<std::string>(const std::string&)>& validate) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::string prompt =
            current.empty() ? fmt::format("{}: ", question) : fmt::format("{} [{}]: ", question, current);
        auto answer = sys::prompt_line(prompt);
        if (!answer) {
            throw Fatal(exit_code::k_usage, "input ended before init was complete",
                        "run `phantom init` again");
        }
        const std::string value = answer->empty() ? current : *answer;
        const auto problem = validate(value);
        if (!problem) {
            return value;
        }
        std::cerr << "  " << *problem << "\n";
    }
    throw Fatal(exit_code::k_usage, fmt::format("no valid answer for \"{}\"", question),
                "run `phantom init` again");
}

bool ask_yes_no(const std::string& question) {
    auto answer = sys::prompt_line(fmt::format("{} [y/N]: ", question));
    return answer && (*answer == "y" || *answer == "Y" || *answer == "yes");
}

std::optional<std::string> check_port_text(const std::string& text) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used == text.size() && to_port(v)) {
            return std::nullopt;
        }
    } catch (const std::exception&) {
    }
    return std::string("enter a port number from 1 to 65535");
}

std::optional<std::string> check_key_file(const std::string& path, const std::filesystem::path& home) {
    if (path.empty()) {
        return std::string("enter the path of an SSH private key");
    }
    auto status = sys::file_status(config::expand_home(path, home));
    if (!status || !status->exists) {
        return fmt::format("{} does not exist", path);
    }
    return std::nullopt;
}

/// Creates ~/.ssh/phantom_ed25519 with ssh-keygen (no passphrase: the daemon runs unattended
/// and the key can only forward to Dante on the server).
void generate_key(const std::filesystem::path& key, const std::string& comment) {
    if (key.has_parent_path()) {
        auto parent = sys::file_status(key.parent_path());
        if (parent && !parent->exists) {
            if (auto r = sys::ensure_private_dir(key.parent_path(), 0700); !r) {
                throw Fatal(
                    exit_code::k_config,
                    fmt::format("cannot create {}: {}", key.parent_path().string(), r.error().message()),
                    "create it yourself with mode 0700");
            }
        }
    }
    auto result = sys::Process("ssh-keygen")
                      .args({"-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key.string()})
                      .run();
    if (!result) {
        throw Fatal(exit_code::k_unavailable, "ssh-keygen not found: cannot create an SSH key",
                    "install OpenSSH (Debian: apt install openssh-client), or pass --ssh-key FILE");
    }
    if (result->exit_code != 0) {
        throw Fatal(exit_code::k_unavailable,
                    fmt::format("ssh-keygen failed: {}", result->err.empty() ? "no message" : result->err),
                    "pass an existing key with --ssh-key FILE");
    }
}

std::string read_public_key(const std::filesystem::path& key) {
    auto text = sys::read_file(key.string() + ".pub");
    if (!text) {
        // No .pub beside the key: derive it, as ssh-keygen -y does for any private key.
        auto result = sys::Process("ssh-keygen").args({"-y", "-f", key.string()}).run();
        if (!result || result->exit_code != 0) {
            return {};
        }
        text = result->out;
    }
    std::string line = *text;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.pop_back();
    }
    return line;
}

InitOptions parse_options(const Args& args, bool& help) {
    InitOptions o;
    po::options_description d("phantom init options");
    // clang-format off
    d.add_options()
        ("invite", po::value<std::string>(), "invite URI from your admin, or - to read it from stdin")
        ("host", po::value<std::string>(), "team server name or address")
        ("port", po::value<int>(), "team server SSH port (default 22)")
        ("user", po::value<std::string>(), "tunnel SSH account (default phantom)")
        ("socks-user", po::value<std::string>(), "your member name")
        ("password-stdin", po::bool_switch(&o.password_stdin), "read your member password from stdin")
        ("ssh-key", po::value<std::string>(), "SSH private key (default: create ~/.ssh/phantom_ed25519)")
        ("host-key", po::value<std::string>(), "the server's host key \"TYPE BASE64\" to pin")
        ("mode", po::value<std::string>(), "dante (default) or direct")
        ("dante-host", po::value<std::string>(), "Dante's address as seen from the server (default dante)")
        ("dante-port", po::value<int>(), "Dante's port (default 1080)")
        ("yes,y", po::bool_switch(&o.yes), "never prompt; fail on missing values")
        ("alias", po::bool_switch(&o.alias), "add alias claude='phantom claude' to your shell rc file")
        ("help,h", "show this help");
    // clang-format on
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(d).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        usage_error(e.what());
    }
    help = vm.count("help") != 0U;
    if (help) {
        std::cout << "Set up phantom on this machine. On a terminal it asks for each value (current\n"
                     "values are the defaults); with --yes or without a terminal it uses the flags.\n\n"
                  << d;
        return o;
    }
    auto str = [&vm](const char* name) -> std::optional<std::string> {
        if (vm.count(name) != 0U) {
            return vm[name].as<std::string>();
        }
        return std::nullopt;
    };
    auto num = [&vm](const char* name) -> std::optional<int> {
        if (vm.count(name) != 0U) {
            return vm[name].as<int>();
        }
        return std::nullopt;
    };
    o.invite = str("invite");
    o.host = str("host");
    o.port = num("port");
    o.user = str("user");
    o.socks_user = str("socks-user");
    o.ssh_key = str("ssh-key");
    o.host_key = str("host-key");
    o.mode = str("mode");
    o.dante_host = str("dante-host");
    o.dante_port = num("dante-port");
    return o;
}

} // namespace

int cmd_init(const Args& args) {
    bool help = false;
    const InitOptions opt = parse_options(args, help);
    if (help) {
        return exit_code::k_ok;
    }
    if (opt.invite && *opt.invite == "-" && opt.password_stdin) {
        usage_error("--invite - and --password-stdin both read stdin; the invite already holds the password");
    }
    const bool stdin_used = opt.password_stdin || (opt.invite && *opt.invite == "-");
    const bool interactive = !opt.yes && !stdin_used && sys::stdin_is_terminal();

    const auto home = sys::home_dir();
    const auto path = config::config_path(home);
    // Re-running init starts from the current values and keeps what is not changed.
    config::Config cfg = config::load_config_if_exists(path).value_or(config::Config{});
    const bool existed = !cfg.server.host.empty();
    std::string password = cfg.auth.password;
    std::optional<std::string> new_password;

    if (opt.invite) {
        std::string uri = *opt.invite;
        if (uri == "-") {
            uri = sys::read_stdin_secret();
        }
        auto invite = config::parse_invite(uri);
        if (!invite) {
            throw Fatal(exit_code::k_usage, invite.error(),
                        "ask your admin for a fresh invite (phantom-admin user invite NAME)");
        }
        cfg.server.host = invite->host;
        cfg.server.port = invite->ssh_port;
        cfg.server.user = invite->tunnel_user;
        cfg.server.host_key = invite->host_key;
        cfg.auth.socks_user = invite->socks_user;
        cfg.tunnel.mode = invite->mode;
        cfg.tunnel.dante_host = invite->dante_host;
        cfg.tunnel.dante_port = invite->socks_port;
        new_password = invite->password;
    }
    if (opt.host) {
        check_or_fail(config::check_host(*opt.host), "--host");
        cfg.server.host = *opt.host;
    }
    if (opt.port) {
        cfg.server.port = port_or_fail(*opt.port, "--port");
    }
    if (opt.user) {
        check_or_fail(config::check_user_name(*opt.user), "--user");
        cfg.server.user = *opt.user;
    }
    if (opt.socks_user) {
        check_or_fail(config::check_user_name(*opt.socks_user), "--socks-user");
        cfg.auth.socks_user = *opt.socks_user;
    }
    if (opt.mode) {
        auto mode = config::parse_mode(*opt.mode);
        if (!mode) {
            usage_error(fmt::format("--mode {}: use dante or direct", *opt.mode));
        }
        cfg.tunnel.mode = *mode;
    }
    if (opt.dante_host) {
        check_or_fail(config::check_host(*opt.dante_host), "--dante-host");
        cfg.tunnel.dante_host = *opt.dante_host;
    }
    if (opt.dante_port) {
        cfg.tunnel.dante_port = port_or_fail(*opt.dante_port, "--dante-port");
    }
    if (opt.host_key) {
        check_or_fail(config::check_host_key(*opt.host_key), "--host-key");
        cfg.server.host_key = *opt.host_key;
    }
    if (opt.ssh_key) {
        check_or_fail(check_key_file(*opt.ssh_key, home), "--ssh-key");
        // The daemon runs with cwd /: store a relative path as absolute.
        cfg.auth.ssh_key = opt.ssh_key->rfind("~/", 0) == 0
                               ? *opt.ssh_key
                               : std::filesystem::absolute(*opt.ssh_key).lexically_normal().string();
    }
    if (opt.password_stdin) {
        new_password = sys::read_stdin_secret();
    }
    const std::string account_before =
        config::secret_account(cfg.auth.socks_user, cfg.server.host, cfg.server.port);
    if (password.empty() && !new_password && !cfg.auth.socks_user.empty()) {
        // Already in the keychain from an earlier init: keep it.
        if (auto stored = config::lookup_password(account_before)) {
            password = *stored;
        }
    }

    if (interactive && !opt.invite) {
        cfg.server.host = ask("Team server (host name or address)", cfg.server.host,
                              [](const std::string& v) { return config::check_host(v); });
        cfg.server.port = static_cast<std::uint16_t>(
            std::stoi(ask("SSH port", std::to_string(cfg.server.port), check_port_text)));
        cfg.auth.socks_user = ask("Your member name", cfg.auth.socks_user,
                                  [](const std::string& v) { return config::check_user_name(v); });
        cfg.tunnel.mode =
            *config::parse_mode(ask("Mode (dante or direct)", std::string(config::to_string(cfg.tunnel.mode)),
                                    [](const std::string& v) -> std::optional<std::string> {
                                        if (config::parse_mode(v)) {
                                            return std::nullopt;
                                        }
                                        return std::string("enter dante or direct");
                                    }));
        cfg.server.host_key = ask("Server host key from your admin (TYPE BASE64)", cfg.server.host_key,
                                  [](const std::string& v) { return config::check_host_key(v); });
        if (cfg.tunnel.mode == config::Mode::dante && !new_password) {
            for (int attempt = 0; attempt < 3 && !new_password; ++attempt) {
                auto pw = sys::prompt_secret(password.empty() ? "Member password: "
                                                              : "Member password [keep current]: ");
                if (!pw) {
                    throw Fatal(exit_code::k_usage, "input ended before init was complete",
                                "run `phantom init` again");
                }
                if (!pw->empty()) {
                    new_password = *pw;
                } else if (!password.empty()) {
                    break;
                } else {
                    std::cerr << "  the password is required in dante mode\n";
                }
            }
        }
    }

    // Everything required must be known now: name the flag that supplies what is missing.
    auto require = [](bool present, const char* what, const char* flag) {
        if (!present) {
            throw Fatal(exit_code::k_usage, fmt::format("{} is missing", what),
                        fmt::format("pass {} (or --invite URI from your admin)", flag));
        }
    };
    require(!cfg.server.host.empty(), "the team server", "--host HOST");
    if (cfg.tunnel.mode == config::Mode::dante) {
        require(!cfg.auth.socks_user.empty(), "your member name", "--socks-user NAME");
        require(new_password.has_value() || !password.empty(), "your member password", "--password-stdin");
    }
    if (new_password) {
        if (new_password->empty() || new_password->find_first_of("\r\n") != std::string::npos) {
            usage_error("the password must be one non-empty line");
        }
        password = *new_password;
    }

    // SSH key: keep a configured one, else create ~/.ssh/phantom_ed25519.
    const auto key_path = config::expand_home(cfg.auth.ssh_key, home);
    bool generated = false;
    if (auto status = sys::file_status(key_path); !status || !status->exists) {
        if (opt.ssh_key) {
            usage_error(fmt::format("--ssh-key {} does not exist", *opt.ssh_key));
        }
        generate_key(key_path,
                     fmt::format("phantom-{}", cfg.auth.socks_user.empty() ? "member" : cfg.auth.socks_user));
        generated = true;
    }

    // ~/.phantom is 0700 whatever it was; everything phantom keeps lives there.
    const auto dir = config::state_dir(home);
    if (auto r = sys::ensure_private_dir(dir, 0700); !r) {
        throw Fatal(exit_code::k_config,
                    fmt::format("cannot create {}: {}", dir.string(), r.error().message()),
                    "make sure it is a directory you own, not a file or a link");
    }
    if (!cfg.server.host_key.empty()) {
        config::pin_host_key(dir / "known_hosts", cfg.server.host, cfg.server.port, cfg.server.host_key);
    }

    std::string stored_in = "none (direct mode)";
    cfg.auth.password.clear();
    if (cfg.tunnel.mode == config::Mode::dante) {
        const auto store = config::store_password(
            config::secret_account(cfg.auth.socks_user, cfg.server.host, cfg.server.port), password);
        if (store == config::SecretStore::config_file) {
            cfg.auth.password = password;
        }
        stored_in = config::describe(store);
    }
    config::save_config(cfg, path);

    std::cout << fmt::format("{} {}\n", existed ? "Updated" : "Wrote", path.string());
    std::cout << fmt::format("Password stored in: {}\n", stored_in);
    if (cfg.auth.password.empty() == false) {
        std::cout << "  (no OS keychain available; the config file is mode 0600)\n";
    }
    if (cfg.server.host_key.empty()) {
        std::cout << "Host key NOT pinned: the first connection will be refused until you pass\n"
                     "  --host-key 'TYPE BASE64' (or --invite) from your admin.\n";
    } else {
        std::cout << fmt::format("Pinned host key for {} in {}\n",
                                 config::known_hosts_pattern(cfg.server.host, cfg.server.port),
                                 (dir / "known_hosts").string());
    }
    const std::string pub = read_public_key(key_path);
    std::cout << fmt::format("SSH key: {}{}\n", key_path.string(), generated ? " (new)" : "");
    if (!pub.empty()) {
        std::cout << "Send this line to your team admin (unless they already have your key):\n"
                  << fmt::format("  phantom-admin user add {} --ssh-key '{}'\n",
                                 cfg.auth.socks_user.empty() ? "NAME" : cfg.auth.socks_user, pub);
    }

    const std::string shell = sys::user_shell();
    const auto rc = config::shell_rc_file(shell, home);
    const bool want_alias =
        opt.alias ||
        (interactive &&
         ask_yes_no(fmt::format("Add `{}` to {}?", config::alias_line(shell, "claude"), rc.string())));
    if (want_alias) {
        if (config::add_alias(rc, shell, "claude")) {
            std::cout << fmt::format("Added the alias to {} (open a new shell to use it)\n", rc.string());
        } else {
            std::cout << fmt::format("The alias is already in {}\n", rc.string());
        }
    } else if (!interactive) {
        std::cout << fmt::format("Tip: alias claude='phantom claude' (phantom init --alias adds it to {})\n",
                                 rc.string());
    }
    return exit_code::k_ok;
}

} // namespace phantom::cli
