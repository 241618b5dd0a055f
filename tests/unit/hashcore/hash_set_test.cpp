#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <tuple>

#include "hashcore/set/content_checksum.h"
#include "hashcore/set/exact_layout.h"
#include "hashcore/set/set_builder.h"

namespace dijk {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dijk-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

Digest random_digest(Algorithm a, std::mt19937_64& rng) {
  Digest d;
  d.algorithm = a;
  for (std::size_t i = 0; i < d.size(); ++i) d.bytes[i] = static_cast<std::uint8_t>(rng());
  return d;
}

DigestResults results_with(const Digest& d) {
  DigestResults r;
  r.computed.add(d.algorithm);
  r.by_algorithm[static_cast<std::size_t>(d.algorithm)] = d;
  return r;
}

TEST(HashSet, FindsEveryStoredHashAndNoOther) {
  TempDir dir;
  std::mt19937_64 rng(1);
  SetBuilder b;
  const auto red = b.add_list("red", "A1");
  const auto blue = b.add_list("blue", "B");
  std::vector<Digest> stored;
  for (Algorithm a : kAllAlgorithms) {
    for (int i = 0; i < 5000; ++i) {
      stored.push_back(random_digest(a, rng));
      b.add(stored.back(), i % 2 ? red : blue);
    }
  }
  const auto stats = b.write(dir.file("s.set"), 42, 1700000000);
  EXPECT_EQ(stats.exact[0], 5000u);
  auto set = HashSet::open(dir.file("s.set"));
  EXPECT_EQ(set->version(), 42u);
  EXPECT_EQ(set->created_unix(), 1700000000);
  ASSERT_EQ(set->lists().size(), 2u);
  EXPECT_EQ(set->list(red).name, "red");
  EXPECT_EQ(set->list(red).category, "A1");
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const Digest& d = stored[i];
    ASSERT_EQ(set->exact(d.algorithm).find({d.bytes.data(), d.size()}), (i % 5000) % 2 ? red : blue);
  }
  for (int i = 0; i < 20000; ++i) {
    const Digest d = random_digest(kAllAlgorithms[static_cast<std::size_t>(i % 3)], rng);
    ASSERT_EQ(set->exact(d.algorithm).find({d.bytes.data(), d.size()}), ExactTable::kNotFound);
  }
}

TEST(HashSet, BatchLookupAgreesWithSingleLookups) {
  TempDir dir;
  std::mt19937_64 rng(2);
  SetBuilder b;
  const auto l = b.add_list("l", "");
  std::vector<std::uint8_t> queries;
  for (int i = 0; i < 3000; ++i) {
    const Digest d = random_digest(Algorithm::md5, rng);
    if (i % 3 == 0) b.add(d, l);
    queries.insert(queries.end(), d.bytes.begin(), d.bytes.begin() + 16);
  }
  b.write(dir.file("b.set"));
  auto set = HashSet::open(dir.file("b.set"));
  std::vector<std::int32_t> out(3000);
  set->exact(Algorithm::md5).find_batch(queries.data(), 16, 3000, out.data());
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(out[static_cast<std::size_t>(i)], i % 3 == 0 ? 0 : ExactTable::kNotFound) << i;
  }
}

// Sizes on both sides of each whole byte of bucket key the layout drops from the stored slot (none to
// three), for digests of each length: every stored digest is found by both lookups with its list, no
// absent one is, and for_each gives back exactly what was stored (the dropped bytes rebuilt).
class HashSetSizes : public ::testing::TestWithParam<std::tuple<Algorithm, int>> {};

TEST_P(HashSetSizes, EveryLayoutFindsWhatItStoresAndRebuildsIt) {
  const auto [algorithm, count] = GetParam();
  TempDir dir;
  std::mt19937_64 rng(static_cast<std::uint64_t>(count));
  SetBuilder b;
  const auto l0 = b.add_list("l0", "");
  const auto l1 = b.add_list("l1", "");
  std::vector<Digest> stored;
  for (int i = 0; i < count; ++i) {
    stored.push_back(random_digest(algorithm, rng));
    b.add(stored.back(), i % 2 ? l1 : l0);
  }
  b.write(dir.file("s.set"));
  const auto set = HashSet::open(dir.file("s.set"));
  const ExactView table = set->exact(algorithm);
  ASSERT_EQ(table.size(), static_cast<std::uint64_t>(count));

  const std::size_t size = digest_size(algorithm);
  std::vector<std::uint8_t> queries;
  for (int i = 0; i < 2 * count + 50; ++i) {
    const Digest d =
        i % 2 == 0 && i / 2 < count ? stored[static_cast<std::size_t>(i / 2)] : random_digest(algorithm, rng);
    queries.insert(queries.end(), d.bytes.begin(), d.bytes.begin() + static_cast<std::ptrdiff_t>(size));
  }
  const std::size_t n = queries.size() / size;
  std::vector<std::int32_t> batched(n);
  table.find_batch(queries.data(), size, n, batched.data());
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t single = table.find({&queries[i * size], size});
    ASSERT_EQ(batched[i], single) << i;
    const bool present = i % 2 == 0 && i / 2 < static_cast<std::size_t>(count);
    ASSERT_EQ(single, present ? ((i / 2) % 2 ? l1 : l0) : ExactTable::kNotFound) << i;
  }

  std::vector<std::vector<std::uint8_t>> visited;
  table.for_each(
      [&](std::span<const std::uint8_t> d, std::uint16_t) { visited.emplace_back(d.begin(), d.end()); });
  std::vector<std::vector<std::uint8_t>> expected;
  for (const auto& d : stored)
    expected.emplace_back(d.bytes.begin(), d.bytes.begin() + static_cast<std::ptrdiff_t>(size));
  std::sort(expected.begin(), expected.end());
  std::sort(visited.begin(), visited.end());
  EXPECT_EQ(visited, expected);
}

INSTANTIATE_TEST_SUITE_P(Layouts, HashSetSizes,
                         ::testing::Combine(::testing::Values(Algorithm::md5, Algorithm::sha1,
                                                              Algorithm::sha256),
                                            ::testing::Values(1, 7, 8, 300, 5000, 70000, 400000, 1100000)));

// The planned layout keeps an MD5 entry within the memory goal (<= 17 bytes) from the size where three
// bytes of bucket key are implied by the bucket (about a million entries) to 100M, and a bucket within one
// cache line; at 50M it is 13.2M buckets of four 16-byte slots.
TEST(ExactLayout, Md5EntriesStayWithinSeventeenBytesInOneLineBuckets) {
  for (std::uint64_t n = 1'100'000; n <= 100'000'000; n = n * 11 / 10) {
    const auto layout = setfile::exact_layout(16, setfile::planned_bucket_count(n));
    const double per_entry = static_cast<double>(layout.section_length) / static_cast<double>(n);
    EXPECT_LE(per_entry, 17.0) << n << " entries, " << layout.bucket_count << " buckets";
    EXPECT_EQ(layout.bucket_size, 64u) << n;
  }
  const auto layout = setfile::exact_layout(16, setfile::planned_bucket_count(50'000'000));
  EXPECT_EQ(layout.dropped_bytes, 3u);
  EXPECT_EQ(layout.slot_size, 16u);
}

// The lookup's shortcut for the common shapes (three bytes dropped) builds the slot's first word from the
// address alone; it must be exactly what the writer puts there, for every algorithm.
TEST(ExactLayout, FirstWordShortcutMatchesTheWrittenSlot) {
  std::mt19937_64 rng(12);
  for (Algorithm a : kAllAlgorithms) {
    const auto size = static_cast<std::uint32_t>(digest_size(a));
    const auto layout = setfile::exact_layout(size, setfile::planned_bucket_count(50'000'000));
    ASSERT_EQ(layout.dropped_bytes, 3u);
    const setfile::SlotHashing hashing(size, layout.bucket_count, layout.dropped_bytes, rng());
    for (int i = 0; i < 1000; ++i) {
      const Digest d = random_digest(a, rng);
      const auto address = hashing.address(d.bytes.data());
      std::array<std::uint8_t, setfile::kSlotTagBytes + kMaxDigestSize> slot{};
      hashing.write_slot(d.bytes.data(), address, slot.data());
      std::uint64_t written;
      std::memcpy(&written, slot.data(), sizeof written);
      ASSERT_EQ(setfile::SlotHashing::first_word_with_three_dropped(address), written) << algorithm_name(a);
    }
  }
}

// Hashes that are anything but random (a list of sequential values, or ones differing in a single byte)
// still spread over the buckets: the set builds at its planned size and finds every one of them.
TEST(HashSet, NonRandomHashesStillPlaceAndAreFound) {
  TempDir dir;
  SetBuilder b;
  const auto list = b.add_list("sequential", "");
  std::vector<Digest> stored;
  for (int i = 0; i < 200'000; ++i) {
    Digest d;
    d.algorithm = Algorithm::sha1;
    d.bytes.fill(0);
    const auto v = static_cast<std::uint32_t>(i);
    // A third differ only in the first four bytes, a third in the next four, a third in the last four.
    std::memcpy(d.bytes.data() + (i % 3 == 0 ? 0 : i % 3 == 1 ? 4 : 16), &v, sizeof v);
    stored.push_back(d);
    b.add(d, list);
  }
  b.write(dir.file("s.set"));
  const auto set = HashSet::open(dir.file("s.set"));
  const auto layout =
      setfile::exact_layout(20, setfile::planned_bucket_count(set->exact(Algorithm::sha1).size()));
  const auto section =
      set->section(setfile::SectionKind::exact_hashes, static_cast<std::uint32_t>(Algorithm::sha1));
  ASSERT_TRUE(section.has_value());
  EXPECT_EQ(section->size(), layout.section_length);
  for (const Digest& d : stored) ASSERT_EQ(set->exact(Algorithm::sha1).find({d.bytes.data(), 20}), list);
}

// The contrived list the bucket hashing cannot spread: hashes differing only in the bytes a slot does not
// store (here the first two) all pair the same buckets. Placement fails at the planned size, the builder
// retries with more buckets, and the set it writes is larger but exact.
TEST(HashSet, HashesDifferingOnlyInTheDroppedBytesBuildALargerExactTable) {
  TempDir dir;
  SetBuilder b;
  const auto list = b.add_list("contrived", "");
  std::vector<Digest> stored;
  for (std::uint32_t i = 0; i < 60'000; ++i) {  // 15,790 buckets: two bytes dropped
    Digest d;
    d.algorithm = Algorithm::md5;
    d.bytes.fill(0x5A);
    d.bytes[0] = static_cast<std::uint8_t>(i >> 8);
    d.bytes[1] = static_cast<std::uint8_t>(i);
    stored.push_back(d);
    b.add(d, list);
  }
  b.write(dir.file("s.set"));
  const auto set = HashSet::open(dir.file("s.set"));
  const ExactView table = set->exact(Algorithm::md5);
  ASSERT_EQ(table.size(), stored.size());
  const auto planned = setfile::exact_layout(16, setfile::planned_bucket_count(stored.size()));
  const auto section = set->section(setfile::SectionKind::exact_hashes, 0);
  ASSERT_TRUE(section.has_value());
  EXPECT_GT(section->size(), planned.section_length) << "the retry with more buckets was not needed";
  for (const Digest& d : stored) ASSERT_EQ(table.find({d.bytes.data(), 16}), list);
  Digest absent = stored.front();
  absent.bytes[15] ^= 1;
  EXPECT_EQ(table.find({absent.bytes.data(), 16}), ExactTable::kNotFound);
  std::uint64_t visited = 0;
  table.for_each([&](std::span<const std::uint8_t>, std::uint16_t) { ++visited; });
  EXPECT_EQ(visited, stored.size());
}

TEST(HashSet, AllowListSuppressesEveryHitOfThatFile) {
  TempDir dir;
  std::mt19937_64 rng(3);
  SetBuilder b;
  const Digest listed = random_digest(Algorithm::sha256, rng);
  b.add(listed, b.add_list("l", ""));
  b.add_allow(listed);
  b.write(dir.file("a.set"));
  auto set = HashSet::open(dir.file("a.set"));
  const auto outcome = set->match(results_with(listed));
  EXPECT_TRUE(outcome.allow_listed);
  EXPECT_TRUE(outcome.hits.empty());
}

TEST(HashSet, DuplicatesFoldAndFirstListWins) {
  TempDir dir;
  std::mt19937_64 rng(4);
  SetBuilder b;
  const auto first = b.add_list("first", "");
  const auto second = b.add_list("second", "");
  const Digest d = random_digest(Algorithm::md5, rng);
  b.add(d, second);
  b.add(d, first);
  b.add(d, first);
  const auto stats = b.write(dir.file("d.set"));
  EXPECT_EQ(stats.exact[0], 1u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_EQ(stats.in_several_lists, 1u);
  EXPECT_EQ(HashSet::open(dir.file("d.set"))->exact(Algorithm::md5).find({d.bytes.data(), 16}), first);
}

TEST(HashSet, VersionDefaultsToOneMoreThanTheFileItReplaces) {
  TempDir dir;
  SetBuilder().write(dir.file("v.set"), 7);
  SetBuilder().write(dir.file("v.set"));
  EXPECT_EQ(HashSet::open(dir.file("v.set"))->version(), 8u);
}

class CorruptSetFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(5);
    SetBuilder b;
    const auto l = b.add_list("l", "");
    for (int i = 0; i < 1000; ++i) b.add(random_digest(Algorithm::md5, rng), l);
    b.write(path_);
    std::ifstream in(path_, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), {});
  }
  void write(const std::vector<char>& bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string error_opening(SetVerification v = SetVerification::full) {
    try {
      HashSet::open(path_, v);
    } catch (const SetFileError& e) {
      return e.what();
    }
    return "";
  }
  // Writes `bytes_` with both checksums recomputed, as a forger who knows XXH3 would: what is then refused
  // is refused by the structural checks.
  void write_forged() {
    auto* base = reinterpret_cast<std::uint8_t*>(bytes_.data());
    setfile::Header h;
    std::memcpy(&h, base, sizeof h);
    const std::uint64_t table_end = sizeof h + h.section_count * sizeof(setfile::SectionEntry);
    h.content_checksum = setfile::content_checksum(base + table_end, bytes_.size() - table_end, 1);
    h.header_checksum = 0;
    std::memcpy(base, &h, sizeof h);
    h.header_checksum = XXH3_64bits(base, table_end);
    std::memcpy(base, &h, sizeof h);
    write(bytes_);
  }
  // The MD5 exact section's header, inside bytes_.
  setfile::ExactHeader* exact_header() {
    auto* base = reinterpret_cast<std::uint8_t*>(bytes_.data());
    setfile::Header h;
    std::memcpy(&h, base, sizeof h);
    for (std::uint32_t i = 0; i < h.section_count; ++i) {
      setfile::SectionEntry e;
      std::memcpy(&e, base + sizeof h + i * sizeof e, sizeof e);
      if (e.kind == static_cast<std::uint32_t>(setfile::SectionKind::exact_hashes))
        return reinterpret_cast<setfile::ExactHeader*>(base + e.offset);
    }
    return nullptr;
  }
  TempDir dir_;
  std::string path_ = dir_.file("c.set");
  std::vector<char> bytes_;
};

TEST_F(CorruptSetFile, ForgedTableShapesAreRefusedEvenWithValidChecksums) {
  const std::vector<char> original = bytes_;
  struct Case {
    const char* what;
    std::function<void(setfile::ExactHeader&)> forge;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"more buckets than the section holds", [](auto& h) { h.bucket_count *= 2; },
       "shorter than its buckets"},
      {"no buckets", [](auto& h) { h.bucket_count = 0; }, "inconsistent"},
      {"another slot size", [](auto& h) { h.slot_size += 1; }, "slot layout"},
      {"more bytes dropped than the buckets imply", [](auto& h) { h.dropped_bytes += 1; }, "slot layout"},
      {"three slots a bucket", [](auto& h) { h.slots_per_bucket = 3; }, "inconsistent"},
  };
  for (const Case& c : cases) {
    bytes_ = original;
    c.forge(*exact_header());
    write_forged();
    EXPECT_NE(error_opening().find(c.error), std::string::npos) << c.what << ": " << error_opening();
  }
}

// Garbage in the buckets (checksums recomputed): lookups and enumeration stay inside the section (the
// sanitizer build checks that), random digests are not found, and enumeration yields only digests a
// lookup finds (slots no writer could have produced are skipped).
TEST_F(CorruptSetFile, ForgedSlotsAreNeitherTrustedNorReadPast) {
  std::mt19937_64 rng(11);
  auto* h = exact_header();
  ASSERT_NE(h, nullptr);
  auto* buckets = reinterpret_cast<std::uint8_t*>(h) + sizeof(setfile::ExactHeader);
  const std::uint64_t bytes = h->bucket_count * setfile::kSlotsPerBucket * h->slot_size;
  for (std::uint64_t i = 0; i < bytes; ++i) buckets[i] = static_cast<std::uint8_t>(rng());
  write_forged();
  const auto set = HashSet::open(path_);
  // What enumeration yields, lookups find: the two agree on where a digest lives even in a forged table.
  std::vector<std::vector<std::uint8_t>> visited;
  set->exact(Algorithm::md5).for_each([&](std::span<const std::uint8_t> d, std::uint16_t) {
    visited.emplace_back(d.begin(), d.end());
  });
  for (const auto& d : visited) EXPECT_NE(set->exact(Algorithm::md5).find(d), ExactTable::kNotFound);
  for (int i = 0; i < 1000; ++i) {
    const Digest d = random_digest(Algorithm::md5, rng);
    EXPECT_EQ(set->exact(Algorithm::md5).find({d.bytes.data(), 16}), ExactTable::kNotFound);
  }
}

TEST_F(CorruptSetFile, TruncatedFileIsRefusedWithItsSizes) {
  bytes_.resize(bytes_.size() - 100);
  write(bytes_);
  EXPECT_NE(error_opening(SetVerification::structure).find("truncated"), std::string::npos);
  bytes_.resize(20);
  write(bytes_);
  EXPECT_NE(error_opening().find("shorter than a set file header"), std::string::npos);
}

TEST_F(CorruptSetFile, FlippedBodyByteFailsTheContentChecksum) {
  bytes_[bytes_.size() - 3] ^= 0x10;
  write(bytes_);
  EXPECT_NE(error_opening().find("content checksum"), std::string::npos);
}

TEST_F(CorruptSetFile, FlippedHeaderByteFailsTheHeaderChecksum) {
  bytes_[17] ^= 0x01;  // inside set_version
  write(bytes_);
  EXPECT_NE(error_opening(SetVerification::structure).find("header checksum"), std::string::npos);
}

TEST_F(CorruptSetFile, UnknownFormatVersionIsNamed) {
  bytes_[8] = 9;
  write(bytes_);
  EXPECT_NE(error_opening().find("unsupported set format version 9"), std::string::npos);
}

TEST_F(CorruptSetFile, OtherFilesAreNotSetFiles) {
  write(std::vector<char>(4096, 'x'));
  EXPECT_NE(error_opening().find("bad magic"), std::string::npos);
}

}  // namespace
}  // namespace dijk
