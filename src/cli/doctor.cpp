// SPDX-License-Identifier: MIT
// `phantom doctor`: every problem on the user's side, each with its fix.
#include <phantom/doctor/checks.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/platform.hpp>
#include <phantom/sys/terminal.hpp>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"

namespace po = boost::program_options;

namespace phantom::cli {

int cmd_doctor(const Args& args) {
    po::options_description d("phantom doctor [--json] [--egress URL] [--dns-target HOST:PORT]");
    doctor::Options options;
    std::string egress;
    d.add_options()("json", "print the findings as JSON (for scripts)")(
        "egress", po::value(&egress),
        "also fetch URL (one that answers with the caller's address) directly and through the tunnel: the "
        "two "
        "must differ")(
        "dns-target", po::value(&options.dns_target),
        "HOST:PORT to reach through the bridge by name (default api.anthropic.com:443); one that "
        "resolves only on the server proves remote DNS")("help,h", "show this help");
    po::variables_map vm;
    const std::string usage = "usage: phantom doctor [--json] [--egress URL] [--dns-target HOST:PORT]";
    try {
        po::store(po::command_line_parser(args).options(d).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw Fatal(exit_code::k_usage, e.what(), usage);
    }
    if (vm.count("help") != 0U) {
        std::cout << "Check this machine's phantom setup: config, keys, tools, proxy apps and settings that "
                     "get in\n"
                     "the way, the server, the tunnel, the bridge, DNS and the sandbox. Each check prints "
                     "OK, WARN\n"
                     "or FAIL with the fix; exit 1 when any FAILs. Changes nothing.\n\n"
                  << d;
        return exit_code::k_ok;
    }
    // HOST:PORT, an IPv6 address in brackets ([2001:db8::1]:443), as CONNECT takes it.
    const auto& target = options.dns_target;
    const auto colon = target.rfind(':');
    const std::string port = colon == std::string::npos ? "" : target.substr(colon + 1);
    const std::string host = colon == std::string::npos ? target : target.substr(0, colon);
    const bool port_ok = !port.empty() && port.size() <= 5 &&
                         port.find_first_not_of("0123456789") == std::string::npos && std::stoi(port) >= 1 &&
                         std::stoi(port) <= 65535;
    const bool host_ok = !host.empty() && (host.find(':') == std::string::npos ||
                                           (host.front() == '[' && host.back() == ']' && host.size() > 2));
    if (!port_ok || !host_ok) {
        throw Fatal(
            exit_code::k_usage,
            fmt::format("--dns-target wants HOST:PORT (an IPv6 address in brackets), not \"{}\"", target),
            usage);
    }
    if (!egress.empty()) {
        if (egress.rfind("http://", 0) != 0 && egress.rfind("https://", 0) != 0) {
            throw Fatal(exit_code::k_usage,
                        fmt::format("--egress wants an http:// or https:// URL, not \"{}\"", egress), usage);
        }
        options.egress_url = egress;
    }
    const auto probes = doctor::system_probes();
    doctor::Context context{*probes, sys::home_dir(), options};
    const auto findings = doctor::run_checks(doctor::standard_checks(options), context);
    if (vm.count("json") != 0U) {
        std::cout << doctor::render_json(findings) << "\n";
    } else {
        const bool colour = sys::stdout_is_terminal() && !sys::get_env("NO_COLOR").has_value() &&
                            sys::get_env("TERM").value_or("") != "dumb";
        std::cout << doctor::render_text(findings, colour);
    }
    return doctor::any_failure(findings) ? exit_code::k_failure : exit_code::k_ok;
}

} // namespace phantom::cli
