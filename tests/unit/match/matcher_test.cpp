// The one fingerprint and the one matcher: what every ingress (wire, scan, PDQ stage, check API) relies on.
#include "dataplane/match/matcher.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

const AlgorithmSet kMd5Sha1 = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1);

std::vector<std::uint8_t> png_of(std::size_t size) {
  std::vector<std::uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  b.resize(size, 0x5a);
  return b;
}

TEST(FileFingerprinter, DigestsAreTheSameHoweverTheBytesAreCut) {
  const auto file = synthetic_file(5000, 3);
  match::FileFingerprinter f(kMd5Sha1);
  f.start(kMd5Sha1);
  for (std::size_t off = 0; off < file.size(); off += 7)
    f.update({file.data() + off, std::min<std::size_t>(7, file.size() - off)});
  const auto fp = f.finish();
  const auto whole = digest_buffer(kMd5Sha1, file);
  EXPECT_EQ(fp.size, file.size());
  EXPECT_EQ(fp.digests.get(Algorithm::md5).bytes, whole.get(Algorithm::md5).bytes);
  EXPECT_EQ(fp.digests.get(Algorithm::sha1).bytes, whole.get(Algorithm::sha1).bytes);
}

TEST(FileFingerprinter, KeepsAnImageWholeAndGivesTheBudgetBack) {
  match::ImageCopyBudget budget(1 << 20);
  match::FileFingerprinter f(kMd5Sha1, &budget);
  const auto png = png_of(4000);
  f.start(kMd5Sha1);
  f.update({png.data(), 10});  // the type is known only after the head is in
  f.update({png.data() + 10, png.size() - 10});
  const auto fp = f.finish();
  EXPECT_EQ(fp.type, FileType::png);
  EXPECT_EQ(f.image_copy(), match::ImageCopy::kept);
  EXPECT_EQ(std::vector<std::uint8_t>(f.image().begin(), f.image().end()), png);
  EXPECT_EQ(budget.used(), png.size());
  EXPECT_EQ(f.take_image(), png);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(FileFingerprinter, HostileSizesStayWithinTheCaps) {
  // Over the per-file cap: dropped, budget untouched afterwards.
  match::ImageCopyBudget per_file(1000);
  match::FileFingerprinter big(kMd5Sha1, &per_file);
  big.start(kMd5Sha1);
  big.update(png_of(5000));
  (void)big.finish();
  EXPECT_EQ(big.image_copy(), match::ImageCopy::too_large);
  EXPECT_TRUE(big.image().empty());
  EXPECT_EQ(per_file.used(), 0u);

  // Two files in flight against a worker-wide cap: the second one does not fit.
  match::ImageCopyBudget shared(1 << 20, 6000);
  match::FileFingerprinter a(kMd5Sha1, &shared), b(kMd5Sha1, &shared);
  a.start(kMd5Sha1);
  b.start(kMd5Sha1);
  a.update(png_of(4000));
  b.update(png_of(4000));
  EXPECT_EQ(b.image_copy(), match::ImageCopy::over_budget);
  EXPECT_EQ(shared.used(), 4000u);
  a.start(kMd5Sha1);  // the next file frees the last one's copy
  EXPECT_EQ(shared.used(), 0u);

  // An empty file and a file shorter than the sniffed head: typed from what there is, never a crash.
  match::FileFingerprinter tiny(kMd5Sha1, &shared);
  tiny.start(kMd5Sha1);
  EXPECT_EQ(tiny.finish().size, 0u);
  tiny.start(kMd5Sha1);
  tiny.update(png_of(9));
  EXPECT_EQ(tiny.finish().type, FileType::png);
}

TEST(Matcher, HitsForReportsExactHitsAsHitEventsAndHonoursTheAllowList) {
  TempSet sets;
  const auto listed = synthetic_file(3000, 11), allowed = synthetic_file(3000, 12),
             other = synthetic_file(3000, 13);
  const match::Matcher m(sets.build({listed}, {allowed}));
  match::FileContext where;
  where.source = HitSource::file;
  where.path = "/upload/x.bin";
  where.time_ns = 42;
  const auto check = [&](std::span<const std::uint8_t> file, AlgorithmSet algorithms) {
    match::FileFingerprinter f(algorithms);
    f.start(algorithms);
    f.update(file);
    return m.hits_for(f, where, nullptr);
  };

  const auto hit = check(listed, kMd5Sha1);
  EXPECT_FALSE(hit.allow_listed);
  EXPECT_EQ(keys_of(hit.hits), md5_sha1_keys({listed}));
  ASSERT_FALSE(hit.hits.empty());
  EXPECT_EQ(hit.hits[0].path, "/upload/x.bin");
  EXPECT_EQ(hit.hits[0].time_ns, 42u);
  EXPECT_EQ(hit.hits[0].list, "test");
  EXPECT_EQ(hit.hits[0].category, "T1");
  EXPECT_EQ(hit.hits[0].set_version, 7u);
  EXPECT_EQ(hit.hits[0].size, listed.size());

  const auto allow = check(allowed, kMd5Sha1);
  EXPECT_TRUE(allow.allow_listed);
  EXPECT_TRUE(allow.hits.empty());
  EXPECT_TRUE(check(other, kMd5Sha1).hits.empty());
  // Hostile: nothing at all, and digests of no algorithm.
  EXPECT_TRUE(check({}, kMd5Sha1).hits.empty());
  EXPECT_TRUE(check(listed, AlgorithmSet{}).hits.empty());
}

TEST(Matcher, MakeHitIgnoresAListIndexTheSetDoesNotHave) {
  TempSet sets;
  const auto set = sets.build({synthetic_file(100, 1)});
  match::SetHit what;
  what.algorithm = "md5";
  what.hash = "00";
  what.list_index = 999;
  const HitEvent e = match::make_hit({}, 5, "png", what, *set);
  EXPECT_TRUE(e.list.empty());
  EXPECT_EQ(e.set_version, 7u);
  EXPECT_EQ(e.file_type, "png");
}

TEST(Matcher, FlatPdqHashesAreNeverSearched) {
  TempSet sets;
  match::Matcher m(sets.build({synthetic_file(100, 1)}));
  EXPECT_EQ(m.pdq_hits(PdqHash{}, kPdqDefaultMinQuality - 1).look, match::PdqLook::low_quality);
  EXPECT_EQ(m.pdq_hits(PdqHash{}, 100).look, match::PdqLook::searched);
}

}  // namespace
}  // namespace dijk::test
