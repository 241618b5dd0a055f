// import --csv-columns: the mapping text is outside input (a command line, often pasted from a script);
// every wrong form is refused by name, and a mapped list reads exactly as a list with that header would.
#include "apps/dijk-hotline/csv_columns.h"

#include <gtest/gtest.h>

#include "config/cli/arg_parser.h"
#include "hashcore/lists/hash_list_parser.h"

namespace dijk::hotline {
namespace {

TEST(ImportCsvColumns, ParsesNamesAndColumnsCountedFromOne) {
  const auto c = parse_csv_columns("sha256=3,md5=1,pdq=7,quality=8");
  ASSERT_EQ(c.columns.size(), 4u);
  EXPECT_EQ(c.columns[0], (std::pair<std::string, std::size_t>{"sha256", 2}));
  EXPECT_EQ(c.columns[1].second, 0u);
  EXPECT_EQ(c.columns[3].first, "quality");
}

TEST(ImportCsvColumns, HostileMappingsAreRefusedByName) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "names no hash column"},
      {"quality=2", "names no hash column"},
      {"md5", "is not NAME=COLUMN"},
      {"md5=", "is not a number from 1 to 1024"},
      {"md5=0", "is not a number from 1 to 1024"},
      {"md5=1025", "is not a number from 1 to 1024"},
      {"md5=-1", "is not a number from 1 to 1024"},
      {"md5=1x", "is not a number from 1 to 1024"},
      {"md5=99999999999999999999999", "is not a number from 1 to 1024"},
      {"md5=1,", "trailing comma"},
      {",md5=1", "is not NAME=COLUMN"},
      {"md5=1,md5=2", "md5 given twice"},
      {"md5=1,sha1=1", "column 1 given twice"},
      {"crc32=1", "unknown column name `crc32`"},
      {"MD5=1", "unknown column name `MD5`"},
      {"md5\n=1", "unknown column name `md5\\n`"},  // escaped for the terminal
  };
  for (const auto& [spec, why] : cases) {
    try {
      (void)parse_csv_columns(spec);
      ADD_FAILURE() << "accepted `" << spec << "`";
    } catch (const cli::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << spec << ": " << e.what();
    }
  }
}

TEST(ImportCsvColumns, MappedListParsesWithInputLineNumbers) {
  const std::string md5 = "900150983cd24fb0d6963f7d28e17f72";
  const std::string body = "a,\"" + md5 + "\",x\nb,zz\n";
  for (const bool no_header : {true, false}) {
    const std::string list = no_header ? body : "id,whatever,name\n" + body;
    const auto mapped = map_csv_columns(list, parse_csv_columns("md5=2"), no_header);
    EXPECT_EQ(mapped.text.substr(0, mapped.text.find('\n')), "-,md5");
    std::vector<std::uint64_t> bad_lines;
    std::uint64_t hashes = 0;
    ListParseCallbacks cb;
    cb.on_hash = [&](const Digest&, std::uint64_t) { ++hashes; };
    cb.on_error = [&](std::uint64_t line, const std::string&) {
      bad_lines.push_back(line - mapped.line_shift);
    };
    (void)parse_hash_list({reinterpret_cast<const std::uint8_t*>(mapped.text.data()), mapped.text.size()},
                          ListFormat::csv, cb);
    EXPECT_EQ(hashes, 1u);
    // The bad row is line 2 of the input without a header, line 3 with one.
    EXPECT_EQ(bad_lines, (std::vector<std::uint64_t>{no_header ? 2u : 3u}));
  }
}

}  // namespace
}  // namespace dijk::hotline
