// SPDX-License-Identifier: MIT
// Internal to the library: parsing phantom's TOML files (client config, server.toml) safely.
#pragma once

#include <toml++/toml.h>

#include <string_view>

namespace phantom::config::detail {

/// Refuses a non-ASCII byte outside strings and comments first (toml++ 3.3.0 reaches
/// undefined behaviour on some), then parses. Throws phantom::Fatal(78) as
/// "SOURCE:LINE:COLUMN: description" with `hint` on any syntax error.
toml::table parse_toml(std::string_view text, std::string_view source, std::string_view hint);

} // namespace phantom::config::detail
