// BodyInflater on its own: every encoding HTTP clients send, fed whole and byte by byte, and the bounds
// that keep a decompression bomb from costing more than a capped amount of work.
#include "dataplane/http/body_inflater.h"

#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "tests/support/compress.h"
#include "tests/support/tcp_script.h"

namespace dijk::test {
namespace {

struct Inflated {
  std::vector<std::uint8_t> bytes;
  BodyInflater::Status status = BodyInflater::Status::ok;
  bool finished = false;
};

// Feeds `in` in pieces of `piece` bytes.
Inflated inflate(BodyEncoding encoding, const std::vector<std::uint8_t>& in, std::size_t piece,
                 InflateLimits limits = {}) {
  BodyInflater inflater(encoding, limits);
  Inflated r;
  for (std::size_t off = 0; off < in.size(); off += piece) {
    const std::span<const std::uint8_t> part(in.data() + off, std::min(piece, in.size() - off));
    r.status = inflater.feed(part, [&](std::span<const std::uint8_t> out) {
      r.bytes.insert(r.bytes.end(), out.begin(), out.end());
    });
  }
  r.finished = inflater.finished();
  return r;
}

TEST(BodyEncoding, HeaderValues) {
  EXPECT_EQ(body_encoding(""), BodyEncoding::identity);
  EXPECT_EQ(body_encoding("identity"), BodyEncoding::identity);
  EXPECT_EQ(body_encoding("gzip"), BodyEncoding::gzip);
  EXPECT_EQ(body_encoding(" GZip "), BodyEncoding::gzip);
  EXPECT_EQ(body_encoding("x-gzip"), BodyEncoding::gzip);
  EXPECT_EQ(body_encoding("Deflate"), BodyEncoding::deflate);
  EXPECT_EQ(body_encoding("br"), BodyEncoding::unsupported);
  EXPECT_EQ(body_encoding("zstd"), BodyEncoding::unsupported);
  EXPECT_EQ(body_encoding("gzip, gzip"), BodyEncoding::unsupported);  // stacked: not undone
}

TEST(BodyInflater, GzipWholeAndByteByByte) {
  const auto file = synthetic_file(300'000, 11);
  const auto gz = gzipped(file);
  for (const std::size_t piece : {gz.size(), std::size_t{1}, std::size_t{1460}}) {
    const Inflated r = inflate(BodyEncoding::gzip, gz, piece);
    EXPECT_EQ(r.status, BodyInflater::Status::ok) << piece;
    EXPECT_TRUE(r.finished) << piece;
    EXPECT_EQ(r.bytes, file) << piece;
  }
}

TEST(BodyInflater, DeflateZlibWrappedAndRaw) {
  const auto file = synthetic_file(50'000, 12, true);
  for (const int bits : {15, -15}) {
    const auto body = compressed(file, bits);
    for (const std::size_t piece : {body.size(), std::size_t{1}}) {
      const Inflated r = inflate(BodyEncoding::deflate, body, piece);
      EXPECT_EQ(r.status, BodyInflater::Status::ok) << bits << " " << piece;
      EXPECT_TRUE(r.finished);
      EXPECT_EQ(r.bytes, file) << bits << " " << piece;
    }
  }
}

TEST(BodyInflater, ConcatenatedGzipMembersAreOneBody) {
  const auto a = synthetic_file(10'000, 13), b = synthetic_file(7'000, 14);
  auto body = gzipped(a);
  const auto second = gzipped(b);
  body.insert(body.end(), second.begin(), second.end());
  std::vector<std::uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  const Inflated r = inflate(BodyEncoding::gzip, body, 999);
  EXPECT_EQ(r.status, BodyInflater::Status::ok);
  EXPECT_EQ(r.bytes, both);
}

TEST(BodyInflater, OutputPastTheSizeCapStopsThere) {
  const auto file = synthetic_file(200'000, 15);
  InflateLimits limits;
  limits.max_output = 100'000;
  const Inflated r = inflate(BodyEncoding::gzip, gzipped(file), 4096, limits);
  EXPECT_EQ(r.status, BodyInflater::Status::over_size);
  ASSERT_EQ(r.bytes.size(), 100'000u);
  EXPECT_TRUE(std::equal(r.bytes.begin(), r.bytes.end(), file.begin()));
}

TEST(BodyInflater, BombStopsAtTheRatioCap) {
  // 40 MB of zeros gzip to ~40 KB: a 1000:1 bomb. The cap (100:1 once past 1 MiB) stops it at about 1 MiB.
  const std::vector<std::uint8_t> zeros(40u << 20, 0);
  const auto bomb = gzipped(zeros);
  ASSERT_LT(bomb.size(), 100'000u);
  BodyInflater inflater(BodyEncoding::gzip, InflateLimits{});
  std::uint64_t out_bytes = 0;
  BodyInflater::Status status = BodyInflater::Status::ok;
  for (std::size_t off = 0; off < bomb.size() && status == BodyInflater::Status::ok; off += 1460) {
    status = inflater.feed(std::span(bomb).subspan(off, std::min<std::size_t>(1460, bomb.size() - off)),
                           [&](std::span<const std::uint8_t> out) { out_bytes += out.size(); });
  }
  EXPECT_EQ(status, BodyInflater::Status::over_ratio);
  // At most one buffer (16 KiB) past the larger of the floor and 100x the input read so far.
  EXPECT_LE(out_bytes, std::max<std::uint64_t>(1u << 20, 100 * inflater.bytes_in()) + 16 * 1024);
  EXPECT_LT(out_bytes, 2u << 20);
}

TEST(BodyInflater, GarbageIsMalformedAndStaysSo) {
  const auto garbage = synthetic_file(5000, 16);
  const Inflated r = inflate(BodyEncoding::gzip, garbage, 100);
  EXPECT_EQ(r.status, BodyInflater::Status::malformed);
  EXPECT_FALSE(r.finished);
  const Inflated d = inflate(BodyEncoding::deflate, garbage, 100);
  EXPECT_EQ(d.status, BodyInflater::Status::malformed);
}

TEST(BodyInflater, CutShortIsNotFinished) {
  const auto gz = gzipped(synthetic_file(20'000, 17));
  const Inflated r = inflate(BodyEncoding::gzip, std::vector<std::uint8_t>(gz.begin(), gz.end() - 100), 512);
  EXPECT_EQ(r.status, BodyInflater::Status::ok);
  EXPECT_FALSE(r.finished);  // the parser truncates such a file
}

}  // namespace
}  // namespace dijk::test
