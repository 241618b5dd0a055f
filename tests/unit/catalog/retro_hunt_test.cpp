// The retro-hunt end to end on real files: a tree is scanned into the catalog against one set version,
// the next version adds the digest of one stored file and the PDQ hash of one stored image, and the hunt
// reports exactly those files, with source retrohunt, without reading the others again.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "dataplane/catalog/hunt_run.h"
#include "dataplane/catalog/inode_paths.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "hashcore/pdq_index/pdq_index.h"
#include "hashcore/set/set_builder.h"
#include "tests/support/test_support.h"

namespace dijk::catalog {
namespace {

namespace fs = std::filesystem;

class CollectHits final : public HitSink {
 public:
  void on_hit(const HitEvent& hit) override {
    std::lock_guard lock(mutex_);
    hits.push_back(hit);
  }
  std::mutex mutex_;
  std::vector<HitEvent> hits;
};

std::vector<std::uint8_t> file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

Digest md5_of(const fs::path& p) {
  StreamingDigests d(AlgorithmSet{}.add(Algorithm::md5));
  d.update(file_bytes(p));
  return d.finish().get(Algorithm::md5);
}

Digest unrelated_md5(std::uint8_t seed) {
  Digest d;
  d.algorithm = Algorithm::md5;
  d.bytes.fill(seed);
  return d;
}

// A set file at `path`: the listed MD5s, and the listed PDQ hashes as its PDQ section.
std::shared_ptr<const HashSet> write_set(const std::string& path, std::uint64_t version,
                                         const std::vector<Digest>& md5s, const std::vector<PdqHash>& pdqs) {
  SetBuilder b;
  const auto list = b.add_list("test-list", "A1");
  for (const auto& d : md5s) b.add(d, list);
  if (!pdqs.empty()) {
    PdqIndexBuilder index;
    for (const auto& h : pdqs) index.add(h, list);
    b.add_raw_section({setfile::SectionKind::pdq_hashes, 0, index.build(), pdqs.size()});
  }
  b.write(path, version);
  return HashSet::open(path);
}

class RetroHuntTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree = dir.path() / "spool";
    fs::create_directories(tree / "a" / "deep");
    fs::create_directories(tree / "b");
    for (int i = 0; i < 20; ++i)
      test::write_text((tree / "a" / ("f" + std::to_string(i))).string(), "text " + std::to_string(i));
    test::write_text((tree / "a" / "deep" / "listed.bin").string(), "the file a later version lists");
    const fs::path images = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
    fs::copy_file(images / "bridge-mods__aaa-orig.jpg", tree / "b" / "bridge.jpg");
    fs::copy_file(images / "bridge-mods__blur-a-little.jpg", tree / "b" / "bridge-blurred.jpg");
  }

  ScanSummary scan(std::shared_ptr<const HashSet> set, CatalogStore& store, CollectHits& hits) {
    ScanOptions o;
    o.catalog = &store;
    o.threads = 2;
    Scanner s(o, std::move(set), hits, [](const std::string&, ScanProblem, const std::string&) {});
    store.add_roots({tree.string()});
    return s.run({tree.string()});
  }

  test::TempDir dir;
  fs::path tree;
};

TEST_F(RetroHuntTest, ARescanReadsOnlyWhatChanged) {
  const auto v1 = write_set(dir.file("v1.set"), 1, {unrelated_md5(1)}, {});
  CatalogStore store(dir.file("catalog"), CatalogStore::Mode::read_write);
  CollectHits hits;
  const ScanSummary first = scan(v1, store, hits);
  EXPECT_EQ(first.files, 23u);
  EXPECT_EQ(first.catalogued, 23u);
  EXPECT_EQ(first.unchanged, 0u);

  const ScanSummary again = scan(v1, store, hits);
  EXPECT_EQ(again.files, 0u);
  EXPECT_EQ(again.unchanged, 23u);

  // Rewritten with the same size, and a change of ctime only: both are read again.
  test::write_text((tree / "a" / "f3").string(), "TEXT 3");
  ASSERT_EQ(::chmod((tree / "a" / "f4").c_str(), 0600), 0);
  const ScanSummary third = scan(v1, store, hits);
  EXPECT_EQ(third.files, 2u);
  EXPECT_EQ(third.unchanged, 21u);
  EXPECT_TRUE(hits.hits.empty());

  const VerifyReport v = store.verify();
  EXPECT_EQ(v.records, 23u);
  EXPECT_EQ(v.with_pdq, 2u);  // both JPEGs decoded, though the set has no PDQ hashes
}

TEST_F(RetroHuntTest, FindsWhatTheNewVersionAddedAndNothingElse) {
  const fs::path listed = tree / "a" / "deep" / "listed.bin";
  PdqHasher hasher;
  const auto bridge = hasher.hash_file_bytes(file_bytes(tree / "b" / "bridge.jpg"));
  ASSERT_TRUE(bridge);
  const auto v1 = write_set(dir.file("v1.set"), 1, {unrelated_md5(1)}, {});
  CatalogStore store(dir.file("catalog"), CatalogStore::Mode::read_write);
  CollectHits hits;
  scan(v1, store, hits);
  ASSERT_TRUE(hits.hits.empty());

  // Version 2 keeps version 1's hash and adds the listed file's MD5 and the bridge's PDQ hash.
  const auto v2 = write_set(dir.file("v2.set"), 2, {unrelated_md5(1), md5_of(listed)}, {bridge->hash});
  const HuntReport r =
      run_retro_hunt(store, v1.get(), v2, hits, [](const std::string&, ScanProblem, const std::string&) {});
  EXPECT_EQ(r.added_exact, 1u);
  EXPECT_EQ(r.added_pdq, 1u);
  EXPECT_EQ(r.counts.records, 23u);
  EXPECT_EQ(r.counts.exact_candidates, 1u);
  EXPECT_EQ(r.counts.pdq_candidates, 2u);  // the bridge, and its slightly blurred copy within the radius
  EXPECT_EQ(r.located, 3u);
  EXPECT_EQ(r.reread.files, 3u);  // only the candidates were read again
  std::set<std::string> paths;
  for (const auto& h : hits.hits) {
    EXPECT_EQ(h.source, HitSource::retrohunt);
    paths.insert(h.path);
  }
  EXPECT_EQ(paths, (std::set<std::string>{listed.string(), (tree / "b" / "bridge.jpg").string(),
                                          (tree / "b" / "bridge-blurred.jpg").string()}));
  const auto mark = store.hunted();
  ASSERT_TRUE(mark);
  EXPECT_EQ(mark->set_version, 2u);
  EXPECT_EQ(mark->set_checksum, v2->header_checksum());

  // Hunting the same step again finds the same files; hunting v2 against itself finds nothing.
  hits.hits.clear();
  const HuntReport none =
      run_retro_hunt(store, v2.get(), v2, hits, [](const std::string&, ScanProblem, const std::string&) {});
  EXPECT_EQ(none.candidates, 0u);
  EXPECT_TRUE(hits.hits.empty());
}

TEST_F(RetroHuntTest, ACandidateDeletedSinceIsCountedNotReported) {
  const fs::path listed = tree / "a" / "deep" / "listed.bin";
  const auto v1 = write_set(dir.file("v1.set"), 1, {unrelated_md5(1)}, {});
  CatalogStore store(dir.file("catalog"), CatalogStore::Mode::read_write);
  CollectHits hits;
  scan(v1, store, hits);
  const auto v2 = write_set(dir.file("v2.set"), 2, {md5_of(listed)}, {});
  fs::remove(listed);
  const HuntReport r =
      run_retro_hunt(store, v1.get(), v2, hits, [](const std::string&, ScanProblem, const std::string&) {});
  EXPECT_EQ(r.candidates, 1u);
  EXPECT_EQ(r.vanished, 1u);
  EXPECT_TRUE(hits.hits.empty());
}

TEST_F(RetroHuntTest, AFileRewrittenSinceItWasCataloguedIsMatchedAsItIsNow) {
  // The catalog says the file held the listed bytes; it no longer does: the re-read decides, no hit.
  const fs::path listed = tree / "a" / "deep" / "listed.bin";
  const auto v1 = write_set(dir.file("v1.set"), 1, {unrelated_md5(1)}, {});
  CatalogStore store(dir.file("catalog"), CatalogStore::Mode::read_write);
  CollectHits hits;
  scan(v1, store, hits);
  const Digest was = md5_of(listed);
  test::write_text(listed.string(), "rewritten since");
  const auto v2 = write_set(dir.file("v2.set"), 2, {was}, {});
  const HuntReport r =
      run_retro_hunt(store, v1.get(), v2, hits, [](const std::string&, ScanProblem, const std::string&) {});
  EXPECT_EQ(r.candidates, 1u);
  EXPECT_EQ(r.reread.files, 1u);
  EXPECT_TRUE(hits.hits.empty());
}

TEST(InodePaths, NamesFilesBelowTheRootsAndFollowsFileLinksOnly) {
  test::TempDir dir;
  const fs::path root = dir.path() / "r";
  fs::create_directories(root / "x" / "y");
  test::write_text((root / "x" / "y" / "one").string(), "1");
  test::write_text((dir.path() / "outside").string(), "2");
  fs::create_symlink(dir.path() / "outside", root / "link-to-outside");
  fs::create_directory_symlink(dir.path(), root / "x" / "loop");
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((root / "x" / "y" / "one").c_str(), &a), 0);
  ASSERT_EQ(::stat((dir.path() / "outside").c_str(), &b), 0);
  const CatalogKey ka{a.st_dev, a.st_ino}, kb{b.st_dev, b.st_ino}, gone{a.st_dev, 999999999};
  const PathSearch s = find_paths({root.string()}, {ka, kb, gone});
  ASSERT_EQ(s.found.size(), 2u);
  EXPECT_EQ(s.found.at(ka), (root / "x" / "y" / "one").string());
  EXPECT_EQ(s.found.at(kb), (root / "link-to-outside").string());
  EXPECT_EQ(s.missing, (std::set<CatalogKey>{gone}));
}

}  // namespace
}  // namespace dijk::catalog
