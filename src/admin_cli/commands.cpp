// SPDX-License-Identifier: MIT
// phantom-admin's commands (design §4): parsing and output; the work is in phantom::admin.
#include "admin_cli/commands.hpp"

#include <phantom/admin/check.hpp>
#include <phantom/admin/firewall.hpp>
#include <phantom/admin/operations.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/fs.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/terminal.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace phantom::admin_cli {
namespace {

namespace po = boost::program_options;
using Args = std::vector<std::string>;

constexpr const char* k_usage = R"(usage: phantom-admin [--data-dir DIR] COMMAND
  user add NAME [--ssh-key KEY | --ssh-key-file FILE] [--password-stdin]
                [--max-sessions N] [--rate N/SECONDS]     prints the invite URI
  user list [--json]
  user del NAME | user disable NAME | user enable NAME
  user passwd NAME [--password-stdin]                     prints the new invite URI
  user invite NAME                                        new password, new invite URI
  render        prepare the data directory and render every daemon's files
  reload        make the running danted re-read its configuration
  ratelimit apply|show|clear   the team's egress rate (iptables chain PHANTOM-EGRESS)
  check [--service dante|sshd] files, modes and daemons; exit 1 with the reason when not well
DIR defaults to $PHANTOM_DATA_DIR, else /data.)";

/// The lines of k_usage about `command` (with their continuation lines); empty when none.
std::string command_usage(const std::string& command) {
    std::string out;
    bool in_command = false;
    std::size_t start = 0;
    const std::string_view text = k_usage;
    while (start < text.size()) {
        const auto nl = text.find('\n', start);
        const std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
        if (line.rfind("  " + command + " ", 0) == 0 || line == "  " + command) {
            in_command = true;
        } else if (line.rfind("   ", 0) != 0) { // a continuation line is indented further
            in_command = false;
        }
        if (in_command) {
            out += fmt::format("{}\n", line);
        }
        start = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    return out;
}

[[noreturn]] void usage(const std::string& message) {
    throw Fatal(exit_code::k_usage, message, "run `phantom-admin --help` for the commands");
}

po::variables_map parse(const Args& args, const po::options_description& options,
                        const po::positional_options_description& positional) {
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        usage(e.what());
    }
    return vm;
}

std::string read_password_stdin() {
    std::string password = sys::read_stdin_secret();
    if (password.empty()) {
        usage("no password on stdin");
    }
    return password;
}

int user_add(const admin::Context& ctx, const Args& args) {
    po::options_description d("user add");
    std::string name;
    std::string key;
    std::string key_file;
    std::string rate;
    unsigned max_sessions = 0;
    d.add_options()("name", po::value(&name)->required())("ssh-key", po::value(&key))(
        "ssh-key-file", po::value(&key_file))("password-stdin", po::bool_switch())(
        "max-sessions", po::value(&max_sessions))("rate", po::value(&rate));
    po::positional_options_description p;
    p.add("name", 1);
    const auto vm = parse(args, d, p);
    if (!key.empty() && !key_file.empty()) {
        usage("give --ssh-key or --ssh-key-file, not both");
    }
    admin::NewMember member;
    member.name = name;
    member.ssh_key = key;
    if (!key_file.empty()) {
        auto text = sys::read_file(key_file);
        if (!text) {
            usage(fmt::format("cannot read {}: {}", key_file, text.error().message()));
        }
        while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) {
            text->pop_back();
        }
        member.ssh_key = *text;
    }
    if (vm["password-stdin"].as<bool>()) {
        member.password = read_password_stdin();
    }
    if (vm.count("max-sessions") != 0U) {
        if (max_sessions == 0 || max_sessions > 10000) {
            usage("--max-sessions must be from 1 to 10000");
        }
        member.max_sessions = max_sessions;
    }
    if (!rate.empty()) {
        auto parsed = admin::parse_rate(rate);
        if (!parsed) {
            usage(fmt::format("--rate: {}", parsed.error()));
        }
        member.rate = *parsed;
    }
    std::cout << admin::add_member(ctx, member) << "\n";
    return exit_code::k_ok;
}

int user_list(const admin::Context& ctx, const Args& args) {
    const bool json = args.size() == 1 && args.front() == "--json";
    if (!args.empty() && !json) {
        usage(fmt::format("unexpected argument \"{}\"", args.front()));
    }
    const auto members = admin::list_members(ctx);
    if (json) {
        boost::json::array list;
        for (const auto& m : members) {
            list.push_back(boost::json::object{
                {"name", m.name},
                {"enabled", m.enabled},
                {"ssh_key", !m.ssh_key.empty()},
                {"max_sessions", m.max_sessions.value_or(ctx.config.max_sessions)},
                {"rate", admin::to_string(m.rate.value_or(ctx.config.member_rate))},
                {"created_at", m.created_at},
            });
        }
        std::cout << boost::json::serialize(list) << "\n";
        return exit_code::k_ok;
    }
    std::cout << fmt::format("{:<24} {:<9} {:<4} {:>8} {:>8}\n", "NAME", "STATE", "KEY", "SESSIONS", "RATE");
    for (const auto& m : members) {
        std::cout << fmt::format("{:<24} {:<9} {:<4} {:>8} {:>8}\n", m.name,
                                 m.enabled ? "enabled" : "disabled", m.ssh_key.empty() ? "no" : "yes",
                                 m.max_sessions.value_or(ctx.config.max_sessions),
                                 admin::to_string(m.rate.value_or(ctx.config.member_rate)));
    }
    return exit_code::k_ok;
}

std::string one_name(const Args& args, const char* command) {
    if (args.size() != 1 || args.front().empty() || args.front().front() == '-') {
        usage(fmt::format("usage: phantom-admin user {} NAME", command));
    }
    return args.front();
}

int user(const admin::Context& ctx, const Args& args) {
    if (args.empty()) {
        usage("user needs a subcommand: add, list, del, disable, enable, passwd, invite");
    }
    const std::string sub = args.front();
    const Args rest(args.begin() + 1, args.end());
    if (sub == "add") {
        return user_add(ctx, rest);
    }
    if (sub == "list") {
        return user_list(ctx, rest);
    }
    if (sub == "del") {
        admin::delete_member(ctx, one_name(rest, "del"));
        return exit_code::k_ok;
    }
    if (sub == "disable" || sub == "enable") {
        admin::set_member_enabled(ctx, one_name(rest, sub.c_str()), sub == "enable");
        return exit_code::k_ok;
    }
    if (sub == "passwd") {
        const bool from_stdin = rest.size() == 2 && rest[1] == "--password-stdin";
        const std::string name =
            one_name(Args(rest.begin(), rest.begin() + (from_stdin ? 1 : rest.size())), "passwd");
        std::optional<std::string> password;
        if (from_stdin) {
            password = read_password_stdin();
        }
        std::cout << admin::set_member_password(ctx, name, password) << "\n";
        return exit_code::k_ok;
    }
    if (sub == "invite") {
        std::cout << admin::set_member_password(ctx, one_name(rest, "invite"), std::nullopt) << "\n";
        return exit_code::k_ok;
    }
    usage(fmt::format("unknown user subcommand \"{}\"", sub));
}

} // namespace

int run_admin(const std::vector<std::string>& all) {
    Args args = all;
    const auto env = sys::current_environment();
    std::filesystem::path data_dir =
        env.count("PHANTOM_DATA_DIR") != 0U ? env.at("PHANTOM_DATA_DIR") : "/data";
    if (args.size() >= 2 && args[0] == "--data-dir") {
        data_dir = args[1];
        args.erase(args.begin(), args.begin() + 2);
    } else if (!args.empty() && args[0].rfind("--data-dir=", 0) == 0) {
        data_dir = args[0].substr(11);
        args.erase(args.begin());
    }
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::cout << k_usage << "\n";
        return args.empty() ? exit_code::k_usage : exit_code::k_ok;
    }
    const std::string command = args[0];
    const Args rest(args.begin() + 1, args.end());
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
        std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
        const std::string lines = command_usage(command);
        if (lines.empty()) {
            usage(fmt::format("unknown command \"{}\"", command));
        }
        std::cout << "usage: phantom-admin [--data-dir DIR]\n" << lines;
        return exit_code::k_ok;
    }
    std::error_code ec;
    if (command != "render" && !std::filesystem::is_directory(data_dir, ec)) {
        throw Fatal(exit_code::k_config, fmt::format("no data directory at {}", data_dir.string()),
                    "start the server once (or run `phantom-admin render`), or point PHANTOM_DATA_DIR / "
                    "--data-dir at it");
    }
    const auto ctx = admin::open_context(data_dir, env);
    if (command == "user") {
        return user(ctx, rest);
    }
    if (command == "render" && rest.empty()) {
        admin::prepare(ctx);
        return exit_code::k_ok;
    }
    if (command == "reload" && rest.empty()) {
        if (!admin::reload_dante(ctx.files)) {
            throw Fatal(exit_code::k_unavailable, "danted is not running here",
                        "run phantom-admin in the dante service (docker compose exec dante phantom-admin …)");
        }
        return exit_code::k_ok;
    }
    if (command == "ratelimit" && rest.size() == 1) {
        if (rest[0] == "apply") {
            admin::apply_egress_limit(ctx.config);
            return exit_code::k_ok;
        }
        if (rest[0] == "show") {
            std::cout << admin::show_egress_limit();
            return exit_code::k_ok;
        }
        if (rest[0] == "clear") {
            admin::clear_egress_limit();
            return exit_code::k_ok;
        }
    }
    if (command == "check") {
        std::optional<std::string> service;
        if (rest.size() == 2 && rest[0] == "--service") {
            service = rest[1];
        } else if (!rest.empty()) {
            usage("usage: phantom-admin check [--service dante|sshd]");
        }
        int code = exit_code::k_ok;
        for (const auto& r : admin::check_server(ctx, service)) {
            std::cout << fmt::format("{:<4} {}{}\n", r.ok ? "ok" : "FAIL", r.what,
                                     r.ok ? "" : ": " + r.detail);
            if (!r.ok) {
                code = exit_code::k_failure;
            }
        }
        return code;
    }
    if (command == "ratelimit") {
        usage("usage: phantom-admin ratelimit apply|show|clear");
    }
    if (command == "render" || command == "reload") {
        usage(fmt::format("phantom-admin {} takes no arguments (got \"{}\")", command, rest.front()));
    }
    usage(fmt::format("unknown command \"{}\"", command));
}

} // namespace phantom::admin_cli
