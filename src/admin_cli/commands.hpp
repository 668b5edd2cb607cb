// SPDX-License-Identifier: MIT
// phantom-admin's commands (design §4): parsing and output; the work is in phantom::admin.
#pragma once

#include <string>
#include <vector>

namespace phantom::admin_cli {

/// Runs phantom-admin with argv (without argv[0]); returns the exit code, throws
/// phantom::Error/Fatal for main to print.
int run_admin(const std::vector<std::string>& args);

} // namespace phantom::admin_cli
