// SPDX-License-Identifier: MIT
// The team's egress rate: phantom's own iptables chain (design §4), nothing else touched.
#include <phantom/admin/firewall.hpp>
#include <phantom/error.hpp>
#include <phantom/sys/process.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace phantom::admin {
namespace {

sys::ProcessResult iptables(const std::vector<std::string>& args, const std::string& input = {},
                            const char* program = "iptables") {
    sys::Process p(program);
    p.args(args);
    if (!input.empty()) {
        p.stdin_data(input);
    }
    auto result = p.run();
    if (!result) {
        throw Fatal(exit_code::k_unavailable, fmt::format("{} is not installed", program),
                    "install iptables (the image has it), or set PHANTOM_RATELIMIT=off");
    }
    return *result;
}

[[noreturn]] void failed(const std::string& what, const sys::ProcessResult& r) {
    std::string why = r.err.empty() ? r.out : r.err;
    why = why.substr(0, why.find('\n'));
    const bool permission = why.find("ermission denied") != std::string::npos ||
                            why.find("you must be root") != std::string::npos;
    throw Fatal(exit_code::k_unavailable, fmt::format("{}: {}", what, why),
                permission ? "the dante service needs the NET_ADMIN capability (cap_add: [NET_ADMIN])"
                           : "check that the iptables filter table works in this network namespace");
}

/// hashlimit takes /second, /minute, /hour or /day: the exact rate for N per S seconds
/// where one exists, else the nearest per hour.
std::string hashlimit_rate(const Rate& rate) {
    if (rate.seconds == 1) {
        return fmt::format("{}/second", rate.count);
    }
    if (60 % rate.seconds == 0) {
        return fmt::format("{}/minute", rate.count * (60 / rate.seconds));
    }
    return fmt::format("{}/hour",
                       (static_cast<unsigned long>(rate.count) * 3600 + rate.seconds / 2) / rate.seconds);
}

bool hooked() {
    return iptables({"-w", "-C", "OUTPUT", "-j", k_egress_chain}).exit_code == 0;
}

/// The kernel keeps a hashlimit table by name with the parameters of the rule that made it,
/// so a changed rate needs a new name: the parameters' hash, within the 15-byte limit.
std::string table_name(const ServerConfig& config) {
    const std::string key =
        fmt::format("{}/{}/{}", config.egress_rate.count, config.egress_rate.seconds, config.egress_burst);
    std::uint32_t h = 2166136261U; // FNV-1a
    for (const char c : key) {
        h = (h ^ static_cast<unsigned char>(c)) * 16777619U;
    }
    return fmt::format("phantom-{:07x}", h & 0xFFFFFFFU);
}

} // namespace

std::string egress_rules(const ServerConfig& config) {
    // Declaring the chain in --noflush mode empties it, so the restore replaces its rules
    // atomically and leaves every other chain alone.
    return fmt::format("*filter\n:{0} - [0:0]\n"
                       "-A {0} -o lo -j RETURN\n"
                       "-A {0} -p tcp -m multiport --dports {1} -m conntrack --ctstate NEW "
                       "-m hashlimit --hashlimit-above {2} --hashlimit-burst {3} --hashlimit-name {4} "
                       "-m comment --comment \"phantom: team egress rate\" -j DROP\n"
                       "COMMIT\n",
                       k_egress_chain, fmt::join(config.ports, ","), hashlimit_rate(config.egress_rate),
                       config.egress_burst, table_name(config));
}

void apply_egress_limit(const ServerConfig& config) {
    const auto restore = iptables({"-w", "--noflush"}, egress_rules(config), "iptables-restore");
    if (restore.exit_code != 0) {
        failed("cannot load the egress limit", restore);
    }
    if (!hooked()) {
        const auto hook = iptables({"-w", "-I", "OUTPUT", "1", "-j", k_egress_chain});
        if (hook.exit_code != 0) {
            failed("cannot hook the egress limit into OUTPUT", hook);
        }
    }
}

std::string show_egress_limit() {
    const auto list = iptables({"-w", "-L", k_egress_chain, "-n", "-v", "-x"});
    if (list.exit_code != 0) {
        return "no egress limit (run `phantom-admin ratelimit apply`)\n";
    }
    return list.out + (hooked() ? "" : "warning: the chain is not hooked from OUTPUT\n");
}

void clear_egress_limit() {
    while (hooked()) {
        const auto unhook = iptables({"-w", "-D", "OUTPUT", "-j", k_egress_chain});
        if (unhook.exit_code != 0) {
            failed("cannot unhook the egress limit", unhook);
        }
    }
    if (iptables({"-w", "-L", k_egress_chain, "-n"}).exit_code == 0) {
        for (const auto& step : {"-F", "-X"}) {
            const auto r = iptables({"-w", step, k_egress_chain});
            if (r.exit_code != 0) {
                failed("cannot remove the egress limit", r);
            }
        }
    }
}

} // namespace phantom::admin
