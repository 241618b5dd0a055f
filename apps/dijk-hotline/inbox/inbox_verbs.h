#pragma once
// `dijk-hotline inbox` (run the reference inbox) and `dijk-hotline hits` (list what it holds).
#include <cstdint>
#include <filesystem>
#include <iosfwd>

#include "config/cli/verb_table.h"

namespace dijk::hotline {

cli::Verb inbox_verb();
cli::Verb hits_verb();

enum class HitsFormat { csv, json };
// The listing `hits` prints: CSV with a header, or one JSON object a line; hits received at or after since.
void print_hits(const std::filesystem::path& db, std::int64_t since, HitsFormat format, std::ostream& out);

}  // namespace dijk::hotline
