// The stream stage end to end, from hand-built TCP segments to hit events. Every case asserts the exact
// set of (algorithm, hash) hits against a set built from the files it uploads.
#include <malloc.h>

#include <algorithm>
#include <random>

#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

TEST(StreamPipeline, MultipartWithOneFileAndTextFields) {
  TempSet sets;
  const auto file = synthetic_file(50'000, 1);
  Harness h;
  h.pipeline.set_hash_set(sets.build({file}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000002, 40000));
  c.handshake();
  const std::string body =
      multipart_body("----b0undary", {{"title", "holiday"}, {"tags", "a,b"}}, {{"cat.jpg", file}});
  c.send(0, multipart_request("/upload.php", "img.example", "----b0undary", body));
  c.send(1, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({file}));
  ASSERT_EQ(h.sink.hits.size(), 2u);
  const HitEvent& e = h.sink.hits[0];
  EXPECT_EQ(e.source, HitSource::wire);
  EXPECT_EQ(e.method, "POST");
  EXPECT_EQ(e.host, "img.example");
  EXPECT_EQ(e.uri, "/upload.php");
  EXPECT_EQ(e.filename, "cat.jpg");
  EXPECT_EQ(e.size, file.size());
  EXPECT_EQ(e.file_type, "jpeg");
  EXPECT_EQ(e.list, "test");
  EXPECT_EQ(e.category, "T1");
  EXPECT_EQ(e.set_version, 7u);
  ASSERT_TRUE(e.flow.has_value());
  EXPECT_EQ(e.flow->dst_port, 80);
  EXPECT_EQ(e.flow->src_port, 40000);
  EXPECT_EQ(h.c().files, 1u);
  EXPECT_EQ(h.c().http_requests, 1u);
  EXPECT_EQ(h.c().flows, 1u);
  EXPECT_EQ(h.c().flows_closed, 1u);
  EXPECT_EQ(h.c().truncated_files, 0u);
  EXPECT_EQ(h.c().bytes_hashed, file.size());
  EXPECT_EQ(h.pipeline.flow_count(), 0u);
}

TEST(StreamPipeline, MultipartWithSeveralFilesOnlyListedOnesHit) {
  TempSet sets;
  const auto a = synthetic_file(10'000, 2), b = synthetic_file(70'000, 3, true),
             unlisted = synthetic_file(3000, 4);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000002, 40001));
  c.handshake();
  const std::string body =
      multipart_body("XyZ", {{"comment", "three files"}}, {{"a.jpg", a}, {"u.bin", unlisted}, {"b.png", b}});
  c.send(0, multipart_request("/up", "h", "XyZ", body));
  c.send(1, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b}));
  EXPECT_EQ(h.c().files, 3u);
  EXPECT_EQ(h.c().files_matched, 3u);
  for (const auto& e : h.sink.hits) EXPECT_TRUE(e.filename == "a.jpg" || e.filename == "b.png") << e.filename;
}

TEST(StreamPipeline, PutOnKeepAliveConnection) {
  TempSet sets;
  const auto a = synthetic_file(20'000, 5), b = synthetic_file(30'000, 6);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000003, 40002, 8080));
  c.handshake();
  c.send(0, raw_request("PUT", "/files/a.jpg", "dav", a));
  c.send(1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  c.send(0, raw_request("PUT", "/files/b.jpg?x=1", "dav", b));
  c.send(1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b}));
  std::set<std::string> names;
  for (const auto& e : h.sink.hits) names.insert(e.filename);
  EXPECT_EQ(names, (std::set<std::string>{"a.jpg", "b.jpg"}));
  EXPECT_EQ(h.sink.hits[0].method, "PUT");
  EXPECT_EQ(h.c().http_requests, 2u);
}

TEST(StreamPipeline, ChunkedPost) {
  TempSet sets;
  const auto a = synthetic_file(45'000, 7);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000004, 40003));
  c.handshake();
  c.send(0, chunked_request("/chunked", "h", a, 4093));
  c.send(1, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  EXPECT_EQ(h.c().truncated_files, 0u);
}

TEST(StreamPipeline, PipelinedRequestsBeforeAnyResponse) {
  TempSet sets;
  const auto a = synthetic_file(5000, 8), b = synthetic_file(6000, 9), d = synthetic_file(7000, 10);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b, d}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000005, 40004));
  c.handshake();
  std::string all = raw_request("POST", "/1", "h", a) + "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n" +
                    multipart_request("/2", "h", "bb", multipart_body("bb", {}, {{"b", b}})) +
                    raw_request("PATCH", "/3", "h", d);
  c.send(0, all);
  for (int i = 0; i < 4; ++i) c.send(1, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b, d}));
  EXPECT_EQ(h.c().http_requests, 4u);
  EXPECT_EQ(h.c().files, 3u);
}

TEST(StreamPipeline, ExpectContinue) {
  TempSet sets;
  const auto a = synthetic_file(30'000, 11);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000006, 40005));
  c.handshake();
  const std::string body = multipart_body("cont", {}, {{"x.jpg", a}});
  std::string req = multipart_request("/up", "h", "cont", body);
  const std::size_t split = req.find("\r\n\r\n") + 4;
  req.insert(split - 2, "Expect: 100-continue\r\n");
  const std::size_t head_end = req.find("\r\n\r\n") + 4;
  c.send(0, std::string_view(req).substr(0, head_end));
  c.send(1, "HTTP/1.1 100 Continue\r\n\r\n");
  c.send(0, std::string_view(req).substr(head_end));
  c.send(1, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
}

// Segments of one upload, for the mutation cases below.
struct UploadCase {
  std::vector<std::uint8_t> file = synthetic_file(60'000, 12);
  std::vector<OwnedSegment> segs;
  UploadCase(std::size_t mss = 1460, std::uint32_t client_isn = 1000) {
    Connection c(segs, client_tuple(0x0a000007, 40006), client_isn);
    c.handshake();
    c.send(0, multipart_request("/m", "h", "mut", multipart_body("mut", {{"f", "v"}}, {{"m.jpg", file}})),
           mss);
    c.send(1, kOkResponse);
    c.close();
  }
  // Indices of the client's data segments.
  std::vector<std::size_t> data_indices() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (!segs[i].payload.empty() && segs[i].tuple.dst_port == 80) out.push_back(i);
    }
    return out;
  }
};

TEST(StreamPipeline, ReorderedSegments) {
  TempSet sets;
  UploadCase u;
  auto d = u.data_indices();
  std::mt19937_64 rng(1);
  // Shuffle within windows of 8 segments, as multipath or queue reordering would.
  std::vector<OwnedSegment> out;
  for (std::size_t i = 0; i < u.segs.size();) {
    if (u.segs[i].payload.empty() || u.segs[i].tuple.dst_port != 80) {
      out.push_back(u.segs[i++]);
      continue;
    }
    std::vector<OwnedSegment> window;
    while (i < u.segs.size() && window.size() < 8 && !u.segs[i].payload.empty() &&
           u.segs[i].tuple.dst_port == 80) {
      window.push_back(u.segs[i++]);
    }
    std::shuffle(window.begin(), window.end(), rng);
    out.insert(out.end(), window.begin(), window.end());
  }
  Harness h;
  h.pipeline.set_hash_set(sets.build({u.file}));
  h.run(out);
  EXPECT_EQ(h.hits(), md5_sha1_keys({u.file}));
  EXPECT_GT(h.c().out_of_order_segments, 0u);
  EXPECT_EQ(h.c().gaps, 0u);
  EXPECT_EQ(h.pipeline.out_of_order_bytes(), 0u);
}

TEST(StreamPipeline, DuplicatedSegments) {
  TempSet sets;
  UploadCase u;
  std::vector<OwnedSegment> out;
  for (const auto& s : u.segs) {
    out.push_back(s);
    if (!s.payload.empty()) out.push_back(s);
  }
  Harness h;
  h.pipeline.set_hash_set(sets.build({u.file}));
  h.run(out);
  EXPECT_EQ(h.hits(), md5_sha1_keys({u.file}));
  EXPECT_GE(h.c().duplicate_segments, u.data_indices().size());
  EXPECT_EQ(h.c().overlaps, 0u);
}

// Re-cuts the client's byte stream into segments that overlap their neighbours by `overlap` bytes.
std::vector<OwnedSegment> overlapping(const UploadCase& u, std::size_t size, std::size_t overlap,
                                      bool corrupt) {
  std::vector<OwnedSegment> out;
  const auto d = u.data_indices();
  std::vector<std::uint8_t> stream;
  for (auto i : d) stream.insert(stream.end(), u.segs[i].payload.begin(), u.segs[i].payload.end());
  const std::uint32_t base = u.segs[d.front()].seq;
  for (std::size_t i = 0; i < d.front(); ++i) out.push_back(u.segs[i]);
  std::vector<OwnedSegment> cut;
  for (std::size_t off = 0; off < stream.size(); off += size) {
    const std::size_t begin = off >= overlap ? off - overlap : 0;
    const std::size_t end = std::min(stream.size(), off + size);
    OwnedSegment s = u.segs[d.front()];
    s.seq = base + static_cast<std::uint32_t>(begin);
    s.payload.assign(stream.begin() + static_cast<std::ptrdiff_t>(begin),
                     stream.begin() + static_cast<std::ptrdiff_t>(end));
    // A second copy with different bytes in the overlap arrives after the first: the first must win.
    if (corrupt && begin < off) {
      OwnedSegment bad = s;
      for (std::size_t k = 0; k < off - begin; ++k) bad.payload[k] ^= 0x5a;
      cut.push_back(s);
      cut.push_back(bad);
    } else {
      cut.push_back(s);
    }
  }
  // Swap neighbours so overlaps also meet segments still held out of order.
  for (std::size_t i = 1; i + 1 < cut.size(); i += 3) std::swap(cut[i], cut[i + 1]);
  out.insert(out.end(), cut.begin(), cut.end());
  for (std::size_t i = d.back() + 1; i < u.segs.size(); ++i) out.push_back(u.segs[i]);
  return out;
}

TEST(StreamPipeline, OverlappingSegmentsWithSameBytes) {
  TempSet sets;
  UploadCase u;
  Harness h;
  h.pipeline.set_hash_set(sets.build({u.file}));
  h.run(overlapping(u, 1000, 300, false));
  EXPECT_EQ(h.hits(), md5_sha1_keys({u.file}));
  EXPECT_EQ(h.c().overlaps, 0u);
  EXPECT_EQ(h.c().gaps, 0u);
}

TEST(StreamPipeline, OverlapWithDifferentBytesIsCountedAndFirstCopyWins) {
  TempSet sets;
  UploadCase u;
  Harness h;
  h.pipeline.set_hash_set(sets.build({u.file}));
  // Segment k+1 arrives before k and is held; a second copy of it with different bytes arrives while it
  // is still held. The held (first) copy must win.
  auto segs = u.segs;
  const auto d = u.data_indices();
  std::vector<OwnedSegment> out;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (i == d[5]) continue;
    out.push_back(segs[i]);
    if (i == d[6]) {
      OwnedSegment evil = segs[d[6]];
      for (auto& b : evil.payload) b ^= 0xff;
      out.push_back(evil);
      out.push_back(segs[d[5]]);
    }
  }
  h.run(out);
  EXPECT_EQ(h.hits(), md5_sha1_keys({u.file}));
  EXPECT_GT(h.c().overlaps, 0u);
}

TEST(StreamPipeline, SevenByteSegments) {
  TempSet sets;
  UploadCase u(7);
  Harness h;
  h.pipeline.set_hash_set(sets.build({u.file}));
  h.run(u.segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({u.file}));
  EXPECT_GT(h.c().packets, 8000u);
}

TEST(StreamPipeline, SequenceWraparound) {
  TempSet sets;
  UploadCase u(1460, 0xffffffffu - 20'000);  // the client's sequence numbers wrap inside the file
  Harness h;
  h.pipeline.set_hash_set(sets.build({u.file}));
  // Reordered too, so held segments straddle the wrap.
  auto segs = u.segs;
  const auto d = u.data_indices();
  for (std::size_t k = 10; k + 1 < d.size(); k += 2) std::swap(segs[d[k]], segs[d[k + 1]]);
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({u.file}));
  EXPECT_GT(h.c().out_of_order_segments, 0u);
}

TEST(StreamPipeline, LostSegmentTruncatesOnlyThatFile) {
  TempSet sets;
  const auto a = synthetic_file(40'000, 20), b = synthetic_file(40'000, 21), other = synthetic_file(9000, 22);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b, other}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000008, 40007));
  c.handshake();
  c.send(0, raw_request("PUT", "/a.jpg", "h", a));
  const std::size_t lose = segs.size() - 10;  // a segment in the middle of file a's body
  c.send(1, kOkResponse);
  c.send(0, raw_request("PUT", "/b.jpg", "h", b));  // same connection, after the loss
  c.send(1, kOkResponse);
  c.close();
  segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(lose));
  Connection c2(segs, client_tuple(0x0a000009, 40008));
  c2.handshake();
  c2.send(0, raw_request("POST", "/other.jpg", "h", other));
  c2.send(1, kOkResponse);
  c2.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({b, other}));
  EXPECT_EQ(h.c().truncated_files, 1u);
  EXPECT_EQ(h.c().gaps, 1u);
  EXPECT_EQ(h.c().gap_bytes, 1460u);
  if (HasFailure())
    h.c().for_each(
        [](std::string_view n, std::uint64_t v) { std::printf("%s=%lu\n", std::string(n).c_str(), v); });
}

TEST(StreamPipeline, LostSegmentInMultipartKeepsLaterParts) {
  TempSet sets;
  const auto a = synthetic_file(30'000, 23), b = synthetic_file(20'000, 24);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000a, 40009));
  c.handshake();
  c.send(0, multipart_request("/m", "h", "LL", multipart_body("LL", {}, {{"a.jpg", a}, {"b.jpg", b}})));
  c.send(1, kOkResponse);
  c.close();
  segs.erase(segs.begin() + 8);  // inside a
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({b}));
  EXPECT_EQ(h.c().truncated_files, 1u);
}

TEST(StreamPipeline, ConnectionCutMidFileIsTruncated) {
  TempSet sets;
  const auto a = synthetic_file(30'000, 25);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000b, 40010));
  c.handshake();
  const std::string req = raw_request("POST", "/cut", "h", a);
  c.send(0, std::string_view(req).substr(0, req.size() - 100));
  c.rst(0);
  h.run(segs);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().truncated_files, 1u);
}

TEST(StreamPipeline, IdleTimeoutEndsFlowAndTruncatesOpenFile) {
  TempSet sets;
  const auto a = synthetic_file(30'000, 26);
  StreamPipelineConfig cfg;
  cfg.reassembly.idle_timeout_ns = 5'000'000'000ull;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000c, 40011));
  c.handshake();
  const std::string req = raw_request("POST", "/slow", "h", a);
  c.send(0, std::string_view(req).substr(0, 10'000));
  h.run(segs, false);
  EXPECT_EQ(h.pipeline.flow_count(), 1u);
  h.pipeline.expire(segs.back().time_ns + 6'000'000'000ull);
  EXPECT_EQ(h.pipeline.flow_count(), 0u);
  EXPECT_EQ(h.c().flow_timeouts, 1u);
  EXPECT_EQ(h.c().truncated_files, 1u);
  EXPECT_TRUE(h.hits().empty());
}

TEST(StreamPipeline, MidstreamPickupIsOptional) {
  TempSet sets;
  const auto a = synthetic_file(8000, 27);
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000d, 40012));
  c.handshake();
  c.send(0, raw_request("POST", "/mid", "h", a));
  c.send(1, kOkResponse);
  c.close();
  segs.erase(segs.begin(), segs.begin() + 3);  // the capture started after the handshake
  const auto set = sets.build({a});
  {
    Harness h;
    h.pipeline.set_hash_set(set);
    h.run(segs);
    EXPECT_TRUE(h.hits().empty());
    EXPECT_GT(h.c().dropped(DropReason::no_flow), 0u);
    EXPECT_EQ(h.c().flows, 0u);
  }
  {
    StreamPipelineConfig cfg;
    cfg.reassembly.midstream = true;
    Harness h(cfg);
    h.pipeline.set_hash_set(set);
    h.run(segs);
    EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  }
}

TEST(StreamPipeline, WithAPortFilterOtherPortsAreNotTracked) {
  TempSet sets;
  const auto a = synthetic_file(8000, 28);
  StreamPipelineConfig cfg;
  cfg.http_ports = {80, 8080};
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000e, 40013, 9999));
  c.handshake();
  c.send(0, raw_request("POST", "/x", "h", a));
  c.close();
  h.run(segs);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().flows, 0u);
  EXPECT_EQ(h.c().dropped(DropReason::not_http_port), 1u);
}

TEST(StreamPipeline, AllowListedFileIsNotReported) {
  TempSet sets;
  const auto a = synthetic_file(8000, 29);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}, {a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a00000f, 40014));
  c.handshake();
  c.send(0, raw_request("POST", "/x.jpg", "h", a));
  c.close();
  h.run(segs);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().allow_listed, 1u);
}

TEST(StreamPipeline, NonHttpBytesOnHttpPortAreCountedNotFatal) {
  TempSet sets;
  const auto a = synthetic_file(8000, 30);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, std::vector<std::uint8_t>(5000, 0x16)}));
  std::vector<OwnedSegment> segs;
  Connection bad(segs, client_tuple(0x0a000010, 40015, 8000));
  bad.handshake();
  std::vector<std::uint8_t> junk = synthetic_file(5000, 31);
  junk[0] = 0x16;  // a TLS record, say
  bad.send(0, junk);
  bad.close();
  Connection good(segs, client_tuple(0x0a000011, 40016));
  good.handshake();
  good.send(0, raw_request("POST", "/ok.jpg", "h", a));
  good.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  EXPECT_EQ(h.c().files, 1u);
  EXPECT_EQ(h.c().flows_bypassed, 1u);  // told from HTTP by its first byte, before the parser saw it
}

TEST(StreamPipeline, ImagesGoToThePdqQueueUntilItIsFull) {
  TempSet sets;
  match::LockfreeImageQueue queue(2);
  const auto jpg = synthetic_file(8000, 32), png = synthetic_file(9000, 33, true),
             jpg2 = synthetic_file(100, 34);
  std::vector<std::uint8_t> text(5000, 'a');
  Harness h({}, &queue);
  h.pipeline.set_hash_set(sets.build({text}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000012, 40017));
  c.handshake();
  c.send(0,
         multipart_request(
             "/m", "h", "QQ",
             multipart_body("QQ", {}, {{"1.jpg", jpg}, {"t.txt", text}, {"2.png", png}, {"3.jpg", jpg2}})));
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({text}));
  EXPECT_EQ(h.c().pdq_queued, 2u);
  EXPECT_EQ(h.c().pdq_skipped, 1u);
  auto first = queue.try_pop();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->bytes, jpg);
  EXPECT_EQ(first->file_type, "jpeg");
  EXPECT_EQ(first->where.filename, "1.jpg");
  auto second = queue.try_pop();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->bytes, png);
  EXPECT_EQ(queue.try_pop(), nullptr);
}

// An image an exact digest settled goes no further: a hit is not reported twice, and an allow-listed
// image (declared benign by the hotline) is never looked at perceptually.
TEST(StreamPipeline, ImagesSettledByDigestsAreNotQueuedForPdq) {
  TempSet sets;
  match::LockfreeImageQueue queue(8);
  const auto listed = synthetic_file(8000, 40), allowed = synthetic_file(9000, 41, true),
             other = synthetic_file(7000, 42);
  Harness h({}, &queue);
  h.pipeline.set_hash_set(sets.build({listed}, {allowed}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000013, 40018));
  c.handshake();
  c.send(0, multipart_request(
                "/m", "h", "QQ",
                multipart_body("QQ", {}, {{"l.jpg", listed}, {"a.png", allowed}, {"o.jpg", other}})));
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({listed}));
  EXPECT_EQ(h.c().allow_listed, 1u);
  EXPECT_EQ(h.c().pdq_queued, 1u);
  auto only = queue.try_pop();
  ASSERT_NE(only, nullptr);
  EXPECT_EQ(only->bytes, other);
  EXPECT_EQ(queue.try_pop(), nullptr);
}

TEST(StreamPipeline, ParseOnlyModeHashesNothing) {
  TempSet sets;
  const auto a = synthetic_file(8000, 35);
  StreamPipelineConfig cfg;
  cfg.files.digests = false;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000013, 40018));
  c.handshake();
  c.send(0, raw_request("POST", "/x.jpg", "h", a));
  c.close();
  h.run(segs);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().files, 1u);
  EXPECT_EQ(h.c().bytes_hashed, 0u);
}

TEST(StreamPipeline, FlowTableCapEvictsOldestAndBoundsMemory) {
  TempSet sets;
  const auto a = synthetic_file(3000, 36);
  StreamPipelineConfig cfg;
  cfg.reassembly.max_flows = 200;
  cfg.reassembly.out_of_order_memory = 1 << 20;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  const std::size_t heap_before = mallinfo2().uordblks;
  // 5000 connections open at once, each with a request in progress and one segment held out of order.
  std::vector<OwnedSegment> segs;
  std::uint64_t clock = 1'700'000'000'000'000'000ull;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    segs.clear();
    Connection c(segs, client_tuple(0x0b000000 + i, static_cast<std::uint16_t>(1024 + i % 60000)), 1000, 5000,
                 &clock);
    c.handshake();
    const std::string req = raw_request("POST", "/f.jpg", "h", a);
    c.send(0, req, 1000);
    segs.erase(segs.begin() + 4);  // hold back the second data segment
    feed(h.pipeline, segs);
    ASSERT_LE(h.pipeline.flow_count(), 200u);
    ASSERT_LE(h.pipeline.out_of_order_bytes(), std::uint64_t{1} << 20);
  }
  const std::size_t heap_after = mallinfo2().uordblks;
  EXPECT_EQ(h.c().flows, 5000u);
  EXPECT_EQ(h.c().evictions, 4800u);
  EXPECT_EQ(h.pipeline.flow_count(), 200u);
  // 200 flows with their parsers and held segments: well under 64 KiB each, whatever was evicted.
  EXPECT_LT(heap_after - std::min(heap_after, heap_before), 200u * 64 * 1024);
  h.pipeline.flush(kEnd);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().truncated_files, 5000u);
}

TEST(StreamPipeline, SynFloodEvictsHalfOpenFlowsBeforeRealOnes) {
  TempSet sets;
  const auto a = synthetic_file(200'000, 37);
  StreamPipelineConfig cfg;
  cfg.reassembly.max_flows = 1000;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> upload;
  Connection c(upload, client_tuple(0x0a000020, 50000));
  c.handshake();
  c.send(0, raw_request("POST", "/real.jpg", "h", a));
  c.send(1, kOkResponse);
  c.close();
  std::mt19937_64 rng(5);
  std::size_t next = 0;
  // 50 spoofed SYNs between every segment of the real upload.
  for (int round = 0; next < upload.size(); ++round) {
    h.pipeline.process(upload[next++].view());
    for (int k = 0; k < 50; ++k) {
      OwnedSegment syn;
      syn.tuple = client_tuple(static_cast<std::uint32_t>(rng()), static_cast<std::uint16_t>(rng()));
      syn.seq = static_cast<std::uint32_t>(rng());
      syn.flags = tcp_flags::syn;
      syn.time_ns = upload[next - 1].time_ns;
      h.pipeline.process(syn.view());
    }
    ASSERT_LE(h.pipeline.flow_count(), 1000u);
  }
  h.pipeline.flush(kEnd);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  EXPECT_GT(h.c().evictions, 5000u);
}

TEST(StreamPipeline, OutOfOrderMemoryCapIsNeverExceeded) {
  TempSet sets;
  const auto a = synthetic_file(100'000, 38);
  StreamPipelineConfig cfg;
  cfg.reassembly.out_of_order_memory = 256 * 1024;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  std::uint64_t clock = 1'700'000'000'000'000'000ull;
  for (std::uint32_t i = 0; i < 20; ++i) {
    Connection c(segs, client_tuple(0x0c000000 + i, static_cast<std::uint16_t>(2000 + i)), 1000, 5000,
                 &clock);
    c.handshake();
    std::vector<OwnedSegment> body;
    Connection cb(body, client_tuple(0x0c000000 + i, static_cast<std::uint16_t>(2000 + i)), 1000 + 1, 5000,
                  &clock);
    cb.send(0, raw_request("POST", "/big.jpg", "h", a));
    body.erase(body.begin());  // first data segment lost: everything after it waits
    segs.insert(segs.end(), body.begin(), body.end());
  }
  for (const auto& s : segs) {
    h.pipeline.process(s.view());
    ASSERT_LE(h.pipeline.out_of_order_bytes(), 256u * 1024);
  }
  h.pipeline.flush(kEnd);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_LE(h.pipeline.out_of_order_peak(), 256u * 1024);
  EXPECT_GT(h.c().dropped(DropReason::ooo_memory) + h.c().dropped(DropReason::ooo_flow_limit), 0u);
}

TEST(StreamPipeline, SetSwapAppliesToFilesFinishingAfterIt) {
  TempSet sets;
  const auto a = synthetic_file(8000, 39), b = synthetic_file(8000, 40);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000030, 40100));
  c.handshake();
  c.send(0, raw_request("POST", "/a.jpg", "h", a));
  feed(h.pipeline, segs);
  segs.clear();
  h.pipeline.set_hash_set(sets.build({b}));
  Connection c2(segs, client_tuple(0x0a000031, 40101));
  c2.handshake();
  c2.send(0, raw_request("POST", "/b.jpg", "h", b));
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b}));
}

}  // namespace
}  // namespace dijk::test

namespace dijk::test {
namespace {

TEST(StreamPipeline, MalformedMultipartIsCountedAndTheConnectionGoesOn) {
  TempSet sets;
  const auto a = synthetic_file(9000, 41), b = synthetic_file(9000, 42);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000040, 40200));
  c.handshake();
  // The part never reaches its closing delimiter inside the declared body: a is cut, never matched.
  std::string body = "--zz\r\nContent-Disposition: form-data; name=f; filename=a.jpg\r\n\r\n";
  body.append(a.begin(), a.end());
  c.send(0, multipart_request("/bad", "h", "zz", body));
  c.send(1, kOkResponse);
  c.send(0, raw_request("PUT", "/b.jpg", "h", b));
  c.send(1, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({b}));
  EXPECT_EQ(h.c().dropped(DropReason::multipart_malformed), 1u);
  EXPECT_EQ(h.c().truncated_files, 1u);
}

TEST(StreamPipeline, ConnectTunnelStopsParsingWithACounter) {
  TempSet sets;
  const auto a = synthetic_file(9000, 43);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000041, 40201, 8080));
  c.handshake();
  c.send(0, "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n");
  c.send(1, "HTTP/1.1 200 Connection established\r\n\r\n");
  c.send(0, raw_request("POST", "/inside-tunnel.jpg", "h", a));  // opaque bytes inside a tunnel
  c.close();
  h.run(segs);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().dropped(DropReason::http_unparsable), 1u);
}

}  // namespace
}  // namespace dijk::test
