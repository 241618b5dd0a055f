#include "control/journal/record.h"

#include <gtest/gtest.h>

#include <string>

#include "control/journal/crc32c.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk::journal {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(JournalCrc32c, KnownVectorAndChaining) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);  // the standard CRC-32C check value
  EXPECT_EQ(crc32c(bytes_of("6789"), crc32c(bytes_of("12345"))), 0xE3069283u);
  EXPECT_EQ(crc32c({}), 0u);
}

TEST(JournalRecord, WireHitRoundTrips) {
  const HitEvent h = testing::wire_hit(7);
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "appliance-1", framed);
  const FrameCheck c = check_frame(framed);
  ASSERT_EQ(c.status, FrameStatus::ok);
  ASSERT_EQ(c.payload_size + kFrameHeaderSize, framed.size());
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->appliance_id, "appliance-1");
  EXPECT_FALSE(r->truncated_fields);
  const HitEvent& d = r->hit;
  EXPECT_EQ(d.time_ns, h.time_ns);
  EXPECT_EQ(d.source, HitSource::wire);
  ASSERT_TRUE(d.flow);
  EXPECT_EQ(*d.flow, *h.flow);
  EXPECT_EQ(d.method, "POST");
  EXPECT_EQ(d.host, h.host);
  EXPECT_EQ(d.uri, h.uri);
  EXPECT_EQ(d.filename, h.filename);
  EXPECT_EQ(d.size, h.size);
  EXPECT_EQ(d.hash, h.hash);
  EXPECT_EQ(d.list, h.list);
  EXPECT_EQ(d.category, h.category);
  EXPECT_EQ(d.set_version, 42u);
  EXPECT_FALSE(d.pdq_distance);
}

TEST(JournalRecord, FileHitWithPdqRoundTrips) {
  const HitEvent h = testing::file_hit(9);
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hit.source, HitSource::file);
  EXPECT_FALSE(r->hit.flow);
  EXPECT_EQ(r->hit.path, h.path);
  EXPECT_EQ(r->hit.kind, HitKind::pdq);
  EXPECT_EQ(r->hit.pdq_distance, 12u);
  EXPECT_EQ(r->hit.pdq_quality, 90u);
}

TEST(JournalRecord, StoredFileHitCarriesOwnerAndMtime) {
  HitEvent h = testing::file_hit(4);
  h.file_stat = FileStat{1007, -1'234'567'890'123};  // a negative mtime (before 1970) survives too
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  const std::uint8_t flags = framed[kFrameHeaderSize + 1 + 8 + 1 + 1];
  EXPECT_EQ(flags & 0x20, 0x20);
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->hit.file_stat);
  EXPECT_EQ(*r->hit.file_stat, *h.file_stat);
  EXPECT_EQ(r->hit.pdq_quality, 90u);  // the fields before it still line up
  EXPECT_EQ(r->hit.path, h.path);      // and so do the strings after it
  // Every cut, the file stat's bytes included, is refused: never read past the payload.
  const std::span<const std::uint8_t> payload =
      std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize);
  for (std::size_t n = 0; n < payload.size(); ++n) EXPECT_FALSE(decode_payload(payload.first(n))) << n;
}

TEST(JournalRecord, ApiHitCarriesCallerFields) {
  HitEvent h = testing::file_hit(3);
  h.source = HitSource::api;
  h.path.clear();
  h.customer = "cust-17";
  h.upload_id = "up-99";
  h.client_ip = "2001:db8::7";
  h.action = "block";
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hit.source, HitSource::api);
  EXPECT_EQ(r->hit.customer, "cust-17");
  EXPECT_EQ(r->hit.upload_id, "up-99");
  EXPECT_EQ(r->hit.client_ip, "2001:db8::7");
  EXPECT_EQ(r->hit.action, "block");
  EXPECT_EQ(r->hit.pdq_distance, 12u);
}

TEST(JournalRecord, AWireHitTheBridgeBlockedKeepsItsFlowAndAction) {
  HitEvent h = testing::wire_hit(4);
  h.action = "blocked";
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hit.source, HitSource::wire);
  EXPECT_EQ(r->hit.action, "blocked");
  EXPECT_EQ(r->hit.flow, h.flow);
  EXPECT_EQ(r->hit.filename, h.filename);
  EXPECT_TRUE(r->hit.customer.empty());
}

TEST(JournalRecord, RecordWithoutCallerFieldsIsTheOldLayout) {
  // A hit with no caller fields leaves flag bit 4 clear and adds no bytes: records written before the
  // check API existed and records written now for the wire and file paths are the same bytes.
  const HitEvent h = testing::wire_hit(5);
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  const std::uint8_t flags = framed[kFrameHeaderSize + 1 + 8 + 1 + 1];
  EXPECT_EQ(flags & 0x10, 0);
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->hit.customer.empty());
  EXPECT_TRUE(r->hit.action.empty());
}

TEST(JournalRecord, UnknownSourceIsRefused) {
  const HitEvent h = testing::wire_hit(5);
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  framed[kFrameHeaderSize + 1 + 8] = 9;  // the source byte
  EXPECT_FALSE(decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize)));
}

TEST(JournalRecord, OverlongFieldIsCutAndFlagged) {
  HitEvent h = testing::wire_hit(1);
  h.uri = "/" + std::string(kMaxFieldBytes * 2, 'x');
  std::vector<std::uint8_t> framed;
  append_framed_record(h, "a", framed);
  ASSERT_EQ(check_frame(framed).status, FrameStatus::ok);
  const auto r = decode_payload(std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->truncated_fields);
  EXPECT_EQ(r->hit.uri.size(), kMaxFieldBytes);
  EXPECT_EQ(r->hit.hash, h.hash);  // fields after the cut one are intact
}

TEST(JournalRecord, EveryTruncationAndTrailingGarbageIsRejected) {
  std::vector<std::uint8_t> framed;
  append_framed_record(testing::wire_hit(3), "appliance-1", framed);
  const std::span<const std::uint8_t> payload =
      std::span<const std::uint8_t>(framed).subspan(kFrameHeaderSize);
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(decode_payload(payload.first(n))) << n;
    EXPECT_EQ(check_frame(std::span<const std::uint8_t>(framed).first(kFrameHeaderSize + n)).status,
              FrameStatus::incomplete);
  }
  std::vector<std::uint8_t> longer(payload.begin(), payload.end());
  longer.push_back(0);
  EXPECT_FALSE(decode_payload(longer));
}

TEST(JournalRecord, FlippedBitFailsTheChecksum) {
  std::vector<std::uint8_t> framed;
  append_framed_record(testing::file_hit(3), "appliance-1", framed);
  for (std::size_t i = kFrameHeaderSize; i < framed.size(); i += 7) {
    auto bad = framed;
    bad[i] ^= 0x10;
    EXPECT_EQ(check_frame(bad).status, FrameStatus::bad_checksum) << i;
  }
  auto bad_len = framed;
  bad_len[3] = 0x7f;  // length far beyond the cap
  EXPECT_EQ(check_frame(bad_len).status, FrameStatus::bad_length);
}

}  // namespace
}  // namespace dijk::journal
