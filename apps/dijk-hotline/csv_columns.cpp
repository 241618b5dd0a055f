#include "apps/dijk-hotline/csv_columns.h"

#include <algorithm>
#include <charconv>

#include "config/cli/arg_parser.h"
#include "hashcore/util/safe_text.h"

namespace dijk::hotline {

CsvColumns parse_csv_columns(std::string_view spec) {
  static constexpr std::string_view kNames[] = {"md5", "sha1", "sha256", "pdq", "quality"};
  const auto bad = [](const std::string& why) { return cli::UsageError("--csv-columns: " + why); };
  CsvColumns out;
  bool hash_column = false;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (comma != std::string_view::npos && spec.empty()) throw bad("trailing comma");
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) throw bad("`" + printable_text(item) + "` is not NAME=COLUMN");
    const std::string_view name = item.substr(0, eq);
    const std::string_view number = item.substr(eq + 1);
    if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
      throw bad("unknown column name `" + printable_text(name) + "` (md5, sha1, sha256, pdq, quality)");
    }
    std::size_t column = 0;
    const auto r = std::from_chars(number.data(), number.data() + number.size(), column);
    if (number.empty() || r.ec != std::errc() || r.ptr != number.data() + number.size() || column < 1 ||
        column > kMaxCsvColumn) {
      throw bad("column `" + printable_text(number) + "` is not a number from 1 to " +
                std::to_string(kMaxCsvColumn));
    }
    for (const auto& [n, c] : out.columns) {
      if (n == name) throw bad(std::string(name) + " given twice");
      if (c == column - 1) throw bad("column " + std::to_string(column) + " given twice");
    }
    hash_column = hash_column || name != "quality";
    out.columns.emplace_back(std::string(name), column - 1);
  }
  if (!hash_column) throw bad("names no hash column (md5, sha1, sha256 or pdq)");
  return out;
}

MappedCsv map_csv_columns(std::string_view list, const CsvColumns& columns, bool no_header) {
  std::size_t width = 0;
  for (const auto& [name, column] : columns.columns) width = std::max(width, column + 1);
  std::vector<std::string> header(width, "-");
  for (const auto& [name, column] : columns.columns) header[column] = name;
  MappedCsv out;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (i > 0) out.text += ',';
    out.text += header[i];
  }
  out.text += '\n';
  if (no_header) {
    out.line_shift = 1;
  } else {
    const std::size_t nl = list.find('\n');
    list = nl == std::string_view::npos ? std::string_view{} : list.substr(nl + 1);
  }
  out.text.append(list);
  return out;
}

}  // namespace dijk::hotline
