// Importing PDQ lists through the list parser, as `dijk-hotline import` does.
#include "hashcore/pdq_index/pdq_list_import.h"

#include <gtest/gtest.h>

#include "hashcore/lists/hash_list_parser.h"

namespace dijk {
namespace {

const std::string kA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const std::string kB = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

struct Imported {
  ListParseStats stats;
  std::vector<std::string> errors;
  std::uint64_t low_quality = 0;
  std::vector<std::pair<std::string, int>> hashes;
};

Imported import(const std::string& text, ListFormat format) {
  PdqIndexBuilder builder;
  PdqListImport pdq(builder, 3);
  ListParseCallbacks cb;
  Imported out;
  cb.on_pdq = [&](std::string_view hex, std::optional<int> quality, std::uint64_t) {
    return pdq(hex, quality);
  };
  cb.on_error = [&](std::uint64_t line, const std::string& reason) {
    out.errors.push_back(std::to_string(line) + ": " + reason);
  };
  out.stats = parse_hash_list({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, format, cb);
  out.low_quality = pdq.low_quality();
  const auto bytes = builder.build();
  const auto index = PdqIndex::open(bytes);
  EXPECT_TRUE(index);
  for (std::uint32_t id = 0; id < index->size(); ++id) {
    EXPECT_EQ(index->list_index(id), 3);
    out.hashes.emplace_back(index->hash(id).to_hex(), index->quality(id));
  }
  return out;
}

TEST(PdqListImport, HexOneALine) {
  const auto r = import("# comment\n" + kA + "\r\n\n" + kB + "\nnot-a-hash\n" + kA.substr(2) + "\n",
                        ListFormat::pdq_text);
  ASSERT_EQ(r.hashes.size(), 2u);  // sorted by hash in the index
  EXPECT_EQ(r.hashes[0], std::make_pair(kB, 100));
  EXPECT_EQ(r.hashes[1], std::make_pair(kA, 100));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].substr(0, 3), "5: ");
}

TEST(PdqListImport, CsvWithPdqAndQualityColumns) {
  const auto r = import("file,quality,pdq\nx.jpg,90," + kA + "\ny.jpg,30," + kB + "\nz.jpg,101," + kB + "\n",
                        ListFormat::csv);
  ASSERT_EQ(r.hashes.size(), 1u);
  EXPECT_EQ(r.hashes[0], std::make_pair(kA, 90));
  EXPECT_EQ(r.low_quality, 1u);  // quality 30 can never match: left out, not an error
  EXPECT_EQ(r.errors.size(), 1u) << "quality 101";
}

TEST(PdqListImport, TheReferenceExpectedCsvImports) {
  const auto r = import(
      "file,bytes,md5,sha1,sha256,pdq,quality,pdq_ref512,quality_ref512\n"
      "a.jpg,1,d35c785545392755e7e4164457657269,ea45d7166b30f98aac6af52f952193ce3083cb4c,"
      "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298," +
          kA + ",100," + kB + ",100\n",
      ListFormat::csv);
  EXPECT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ(r.hashes.size(), 1u);
  EXPECT_EQ(r.hashes[0].first, kA);
  EXPECT_EQ(r.stats.hashes, 3u);  // md5, sha1, sha256 of the same row go to the exact tables
}

}  // namespace
}  // namespace dijk
