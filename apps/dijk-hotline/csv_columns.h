#pragma once
// `import --csv-columns md5=1,sha256=3 [--csv-no-header]`: CSV lists whose header does not name the hash
// columns, or that have no header at all. The mapping becomes a header the list parser reads as if the
// file had it, so the one CSV parser (hashcore/lists) keeps doing the quoting and the per-row checks.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dijk::hotline {

struct CsvColumns {
  std::vector<std::pair<std::string, std::size_t>>
      columns;  // name (md5, sha1, sha256, pdq, quality), 0-based
};

inline constexpr std::size_t kMaxCsvColumn = 1024;

// "md5=1,sha256=3" (columns counted from 1, as `cut -f` does). Throws cli::UsageError naming the problem:
// an unknown name, a column that is not a number in 1..1024, a name or a column given twice, no hash column.
CsvColumns parse_csv_columns(std::string_view spec);

// The list with its header replaced by (or, with `no_header`, preceded by) one naming the mapped columns.
// `line_shift` is what to subtract from the parser's line numbers to get the input's (1 without a header).
struct MappedCsv {
  std::string text;
  std::uint64_t line_shift = 0;
};
MappedCsv map_csv_columns(std::string_view list, const CsvColumns& columns, bool no_header);

}  // namespace dijk::hotline
