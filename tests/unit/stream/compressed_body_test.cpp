// Request bodies sent with Content-Encoding, end to end through the stream stage: the file inside is found
// whatever the encoding, and a bomb, a broken stream or an encoding we do not undo is counted and never
// matched, while the connection goes on.
#include "tests/support/compress.h"
#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

std::string encoded_request(std::string_view method, std::string_view uri, std::string_view encoding,
                            std::string_view content_type, const std::vector<std::uint8_t>& body) {
  std::string r = std::string(method) + " " + std::string(uri) +
                  " HTTP/1.1\r\nHost: up.example\r\nContent-Type: " + std::string(content_type) +
                  "\r\nContent-Encoding: " + std::string(encoding) +
                  "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  r.append(body.begin(), body.end());
  return r;
}

// One connection carrying `requests` (each answered 200), then closed.
void upload(Harness& h, const std::vector<std::string>& requests, std::uint16_t client_port = 41000) {
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000009, client_port));
  c.handshake();
  for (const auto& r : requests) {
    c.send(0, r);
    c.send(1, kOkResponse);
  }
  c.close();
  h.run(segs);
}

TEST(CompressedBody, GzipAndDeflateRawBodiesAreHashedInflated) {
  TempSet sets;
  const auto a = synthetic_file(120'000, 21), b = synthetic_file(40'000, 22, true),
             c = synthetic_file(9'000, 23);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b, c}));
  upload(h, {encoded_request("POST", "/upload/a.jpg", "gzip", "image/jpeg", gzipped(a)),
             encoded_request("PUT", "/put/b.png", "deflate", "application/octet-stream", compressed(b, 15)),
             encoded_request("POST", "/form", "deflate", "application/x-www-form-urlencoded",
                             compressed(c, -15))});
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b, c}));
  for (const auto& e : h.sink.hits) {
    if (e.filename == "a.jpg") {
      EXPECT_EQ(e.size, a.size());  // the file's size, not the body's
    }
  }
  EXPECT_EQ(h.c().http_bodies_inflated, 3u);
  EXPECT_EQ(h.c().truncated_files, 0u);
}

TEST(CompressedBody, GzippedMultipartIsSplitAfterInflating) {
  TempSet sets;
  const auto listed = synthetic_file(60'000, 24), other = synthetic_file(5'000, 25);
  Harness h;
  h.pipeline.set_hash_set(sets.build({listed}));
  const std::string text = multipart_body("zz", {{"title", "x"}}, {{"one.jpg", listed}, {"two.bin", other}});
  const auto body = gzipped(std::vector<std::uint8_t>(text.begin(), text.end()));
  upload(h, {encoded_request("POST", "/up", "gzip", "multipart/form-data; boundary=zz", body)});
  EXPECT_EQ(h.hits(), md5_sha1_keys({listed}));
  EXPECT_EQ(h.c().files, 2u);
  EXPECT_EQ(h.c().truncated_files, 0u);
}

TEST(CompressedBody, BombIsTruncatedCountedAndTheConnectionGoesOn) {
  TempSet sets;
  std::vector<std::uint8_t> zeros(40u << 20, 0);  // 40 MB of zeros: ~40 KB gzipped
  const auto after = synthetic_file(30'000, 26);
  Harness h;
  h.pipeline.set_hash_set(sets.build({zeros, after}));
  upload(h, {encoded_request("POST", "/bomb", "gzip", "image/jpeg", gzipped(zeros)),
             raw_request("POST", "/next.jpg", "up.example", after)});
  EXPECT_EQ(h.hits(), md5_sha1_keys({after}));  // the bomb's file is never matched
  EXPECT_EQ(h.c().dropped(DropReason::inflate_limit), 1u);
  EXPECT_EQ(h.c().truncated_files, 1u);
  EXPECT_LT(h.c().bytes_hashed, (2u << 20) + after.size());  // stopped early, not after 40 MB
}

TEST(CompressedBody, BrokenOrCutShortStreamsAreNeverMatched) {
  TempSet sets;
  const auto a = synthetic_file(50'000, 27), b = synthetic_file(50'000, 28);
  auto cut = gzipped(b);
  cut.resize(cut.size() - 200);  // Content-Length agrees with what is sent: only the gzip stream is short
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b}));
  upload(h, {encoded_request("POST", "/a.jpg", "gzip", "image/jpeg", a),  // says gzip, is not
             encoded_request("POST", "/b.jpg", "gzip", "image/jpeg", cut)});
  EXPECT_TRUE(h.sink.hits.empty());
  EXPECT_EQ(h.c().dropped(DropReason::inflate_malformed), 2u);
  EXPECT_EQ(h.c().truncated_files, 2u);
  EXPECT_EQ(h.c().http_requests, 2u);
}

TEST(CompressedBody, UnsupportedEncodingIsCountedAndHashedAsSent) {
  TempSet sets;
  const auto a = synthetic_file(20'000, 29);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  upload(h, {encoded_request("POST", "/a.jpg", "br", "image/jpeg", a)});
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));  // the bytes as sent are what can be matched
  EXPECT_EQ(h.c().dropped(DropReason::encoding_unsupported), 1u);
  EXPECT_EQ(h.c().http_bodies_inflated, 0u);
}

TEST(CompressedBody, LostSegmentInACompressedBodyTruncatesIt) {
  TempSet sets;
  const auto a = synthetic_file(80'000, 30), after = synthetic_file(10'000, 31);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, after}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000a, 41001));
  c.handshake();
  c.send(0, encoded_request("POST", "/a.jpg", "gzip", "image/jpeg", gzipped(a)));
  c.send(1, kOkResponse);
  c.send(0, raw_request("POST", "/after.jpg", "up.example", after));
  c.send(1, kOkResponse);
  c.close();
  segs.erase(segs.begin() + 10);  // a segment in the middle of the gzip stream
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({after}));
  EXPECT_EQ(h.c().truncated_files, 1u);
}

}  // namespace
}  // namespace dijk::test
