// Hostile column mappings and CSV lists: the first line is the --csv-columns text, the rest the list. The
// mapping is refused with UsageError or accepted within its caps; an accepted mapping turns any list into
// text the CSV parser reads without incident, with line numbers that stay within the input's.
#include <cstdint>
#include <string_view>

#include "apps/dijk-hotline/csv_columns.h"
#include "config/cli/arg_parser.h"
#include "hashcore/lists/hash_list_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view spec = input.substr(0, nl);
  const std::string_view list = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  hotline::CsvColumns columns;
  try {
    columns = hotline::parse_csv_columns(spec);
  } catch (const cli::UsageError&) {
    return 0;
  }
  if (columns.columns.empty() || columns.columns.size() > 5) __builtin_trap();
  for (const auto& c : columns.columns) {
    if (c.second >= hotline::kMaxCsvColumn) __builtin_trap();
  }
  std::uint64_t input_lines = 1;
  for (const char c : list) input_lines += c == '\n' ? 1 : 0;
  for (const bool no_header : {true, false}) {
    const auto mapped = hotline::map_csv_columns(list, columns, no_header);
    ListParseCallbacks cb;
    cb.on_hash = [](const Digest&, std::uint64_t) {};
    cb.on_pdq = [](std::string_view, std::optional<int>, std::uint64_t) { return std::string(); };
    cb.on_error = [&](std::uint64_t line, const std::string&) {
      if (line <= mapped.line_shift || line - mapped.line_shift > input_lines) __builtin_trap();
    };
    (void)parse_hash_list({reinterpret_cast<const std::uint8_t*>(mapped.text.data()), mapped.text.size()},
                          ListFormat::csv, cb);
  }
  return 0;
}
