#pragma once
// Times on the command line (`--since`, `--until`) and times printed for people, one syntax for every tool
// (dijk-hotline hits, dijkctl): UTC throughout, so that two people reading the same output agree.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/cli/arg_parser.h"

namespace dijk::cli {

// Accepts:
//   ISO 8601 in UTC: 2026-12-05, 2026-12-05T07:30, 2026-12-05T07:30:15 (a trailing Z, or a space for the T)
//   a time ago: 90s, 45m, 2h, 7d, 2w (a number and one unit)
//   now, or epoch seconds as @1764918000
// Returns seconds since the epoch; throws UsageError naming `option` and what was wrong.
std::int64_t parse_time_arg(std::string_view text, std::int64_t now, const std::string& option = "time");

// "2026-12-05T07:30:15Z".
std::string format_iso_utc(std::int64_t unix_seconds);

}  // namespace dijk::cli
