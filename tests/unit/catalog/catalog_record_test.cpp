// The catalog's record bytes: what is written reads back the same, and anything else is refused.
#include "dataplane/catalog/catalog_record.h"

#include <gtest/gtest.h>

#include <cstring>

namespace dijk::catalog {
namespace {

CatalogRecord full_record() {
  CatalogRecord r;
  r.stat = {123456789, 1'700'000'000'123'456'789, 1'700'000'001'000'000'000};
  r.digests = {0x0123456789abcdefull, 0xfedcba9876543210ull, 42};
  PdqHash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(i * 7);
  r.pdq = h;
  r.pdq_quality = 87;
  return r;
}

TEST(CatalogRecord, RoundTripsWithEverything) {
  const CatalogRecord r = full_record();
  const auto bytes = encode_record(r);
  EXPECT_EQ(bytes.size(), 2u + 22u + 24u + 33u);  // 81 bytes: the record of an image
  const auto back = decode_record(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(CatalogRecord, RoundTripsWithoutPdqAndWithSomeDigests) {
  CatalogRecord r = full_record();
  r.pdq.reset();
  r.pdq_quality = 0;
  r.digests[1].reset();
  const auto bytes = encode_record(r);
  EXPECT_EQ(bytes.size(), 2u + 22u + 16u);
  const auto back = decode_record(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(CatalogRecord, NegativeTimesSurvive) {
  CatalogRecord r;
  r.stat = {0, -5, -1'000'000'000};
  r.digests[0] = 1;
  const auto back = decode_record(encode_record(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->stat, r.stat);
}

TEST(CatalogRecord, RefusesEveryTruncationAndExtension) {
  const auto bytes = encode_record(full_record());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::string why;
    EXPECT_FALSE(decode_record(std::span(bytes.data(), n), &why)) << n;
    EXPECT_FALSE(why.empty());
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode_record(longer));
}

TEST(CatalogRecord, RefusesUnknownFormatFlagsAndQuality) {
  const auto good = encode_record(full_record());
  auto bad = good;
  bad[0] = 2;
  std::string why;
  EXPECT_FALSE(decode_record(bad, &why));
  EXPECT_EQ(why, "unknown record format");
  bad = good;
  bad[1] |= 0x10;
  EXPECT_FALSE(decode_record(bad, &why));
  EXPECT_EQ(why, "unknown record flags");
  bad = good;
  bad.back() = 101;
  EXPECT_FALSE(decode_record(bad, &why));
  EXPECT_EQ(why, "PDQ quality over 100");
}

TEST(CatalogRecord, KeysSortByDeviceThenInode) {
  const auto a = encode_key({1, 0xffffffffffull});
  const auto b = encode_key({2, 1});
  EXPECT_LT(a, b);
  const auto back = decode_key(a);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->device, 1u);
  EXPECT_EQ(back->inode, 0xffffffffffull);
  EXPECT_FALSE(decode_key(std::span(a.data(), 15)));
}

TEST(CatalogRecord, DigestPrefixIsTheFirstEightBytesBigEndian) {
  const std::uint8_t d[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9};
  EXPECT_EQ(digest_prefix(d), 0x0102030405060708ull);
}

}  // namespace
}  // namespace dijk::catalog

namespace dijk::catalog {
namespace {

TEST(CatalogRecordView, AgreesWithTheDecoderAndRefusesWhatItRefuses) {
  CatalogRecord r = full_record();
  for (int variant = 0; variant < 2; ++variant) {
    const auto bytes = encode_record(r);
    RecordView v;
    ASSERT_TRUE(view_record(bytes, v));
    EXPECT_EQ(v.digests, r.digests);
    ASSERT_EQ(v.pdq != nullptr, r.pdq.has_value());
    if (r.pdq) {
      EXPECT_EQ(std::memcmp(v.pdq, r.pdq->bytes.data(), 32), 0);
      EXPECT_EQ(v.pdq_quality, r.pdq_quality);
    }
    for (std::size_t n = 0; n < bytes.size(); ++n)
      EXPECT_FALSE(view_record(std::span(bytes.data(), n), v)) << n;
    auto bad = bytes;
    bad[1] |= 0x20;
    EXPECT_FALSE(view_record(bad, v));
    r.pdq.reset();
    r.digests[2].reset();
  }
}

}  // namespace
}  // namespace dijk::catalog
