// SPDX-License-Identifier: MIT
// Runs doctor's checks cause-first and renders their findings for people and for scripts.
#include <phantom/doctor/check.hpp>
#include <phantom/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace phantom::doctor {

std::string_view label(Status status) noexcept {
    switch (status) {
    case Status::ok:
        return "OK";
    case Status::warn:
        return "WARN";
    case Status::fail:
        return "FAIL";
    case Status::skipped:
        break;
    }
    return "--";
}

std::vector<Finding> run_checks(const Checks& checks, Context& context) {
    std::vector<Finding> findings;
    std::map<std::string, Status, std::less<>> worst; // per check
    for (const auto& check : checks) {
        const std::string name(check->name());
        std::string blocked_by;
        for (const auto need : check->needs()) {
            const auto it = worst.find(need);
            if (it != worst.end() && (it->second == Status::fail || it->second == Status::skipped)) {
                blocked_by = std::string(need);
                break;
            }
        }
        std::vector<Finding> found;
        if (!blocked_by.empty()) {
            found.push_back(
                {name, Status::skipped, fmt::format("not checked: needs \"{}\" (above)", blocked_by), ""});
        } else {
            try {
                found = check->run(context);
            } catch (const Error& e) {
                found = {{name, Status::fail, e.what(), e.hint()}};
            }
        }
        Status status = Status::ok;
        for (auto& f : found) {
            f.check = name;
            status = std::max(status, f.status); // skipped above fail: both stop dependents
        }
        worst[name] = status;
        findings.insert(findings.end(), found.begin(), found.end());
    }
    return findings;
}

bool any_failure(const std::vector<Finding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& f) { return f.status == Status::fail; });
}

std::string render_text(const std::vector<Finding>& findings, bool colour) {
    std::size_t width = 0;
    for (const auto& f : findings) {
        width = std::max(width, f.check.size());
    }
    std::string out;
    int fails = 0;
    int warns = 0;
    for (const auto& f : findings) {
        const std::string_view word = label(f.status);
        std::string shown = fmt::format("{:<4}", word);
        if (colour) {
            const char* code = f.status == Status::ok     ? "32"
                               : f.status == Status::warn ? "33"
                               : f.status == Status::fail ? "31;1"
                                                          : "2";
            shown = fmt::format("\x1b[{}m{}\x1b[0m", code, shown);
        }
        out += fmt::format("{}  {:<{}}  {}\n", shown, f.check, width, f.text);
        if (!f.fix.empty()) {
            out += fmt::format("{:<4}  {:<{}}  fix: {}\n", "", "", width, f.fix);
        }
        fails += f.status == Status::fail ? 1 : 0;
        warns += f.status == Status::warn ? 1 : 0;
    }
    if (fails == 0 && warns == 0) {
        out += "\nno problems found\n";
    } else {
        out += fmt::format("\n{} failed, {} {}\n", fails, warns, warns == 1 ? "warning" : "warnings");
    }
    return out;
}

std::string render_json(const std::vector<Finding>& findings) {
    boost::json::array checks;
    int fails = 0;
    int warns = 0;
    for (const auto& f : findings) {
        static constexpr const char* k_names[] = {"ok", "warn", "fail", "skipped"};
        checks.push_back(boost::json::object{{"check", f.check},
                                             {"status", k_names[static_cast<int>(f.status)]},
                                             {"finding", f.text},
                                             {"fix", f.fix}});
        fails += f.status == Status::fail ? 1 : 0;
        warns += f.status == Status::warn ? 1 : 0;
    }
    const boost::json::object root{{"ok", fails == 0}, {"fail", fails}, {"warn", warns}, {"checks", checks}};
    return boost::json::serialize(root);
}

} // namespace phantom::doctor
