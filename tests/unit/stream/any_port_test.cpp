// HTTP on any port, end to end through the StreamPipeline: uploads on ports nobody configured are found
// by their first bytes, and flows that are not HTTP are bypassed after their first bytes (nothing held,
// counted, and never at the expense of an upload when the flow table is full).
#include <algorithm>

#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

// A TLS ClientHello's first bytes followed by `size` bytes of noise: what port 443 (or any port) carries.
std::vector<std::uint8_t> tls_bytes(std::size_t size, std::uint64_t seed) {
  std::vector<std::uint8_t> b = synthetic_file(size, seed);
  const std::uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
  std::copy(std::begin(hello), std::end(hello), b.begin());
  return b;
}

TEST(StreamPipelineAnyPort, UploadsOnUnconfiguredPortsAreFound) {
  TempSet sets;
  const auto a = synthetic_file(30'000, 101), b = synthetic_file(12'000, 102, true),
             c3 = synthetic_file(5000, 103);
  Harness h;  // the default: no port filter
  h.pipeline.set_hash_set(sets.build({a, b, c3}));
  std::vector<OwnedSegment> segs;
  Connection on3000(segs, client_tuple(0x0a000101, 41000, 3000));
  on3000.handshake();
  on3000.send(
      0, multipart_request("/upload", "dev.example:3000", "xyz", multipart_body("xyz", {}, {{"a.jpg", a}})));
  on3000.send(1, kOkResponse);
  on3000.close();
  Connection on5000(segs, client_tuple(0x0a000102, 41001, 5000));
  on5000.handshake();
  on5000.send(0, raw_request("PUT", "/files/b.png", "h", b));
  on5000.send(1, kOkResponse);
  on5000.close();
  Connection on8081(segs, client_tuple(0x0a000103, 41002, 8081));
  on8081.handshake();
  on8081.send(0, raw_request("POST", "/c.jpg", "h", c3));
  on8081.send(1, kOkResponse);
  on8081.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b, c3}));
  std::set<std::uint16_t> ports;
  for (const auto& e : h.sink.hits) {
    ASSERT_TRUE(e.flow.has_value());
    ports.insert(e.flow->dst_port);
  }
  EXPECT_EQ(ports, (std::set<std::uint16_t>{3000, 5000, 8081}));
  EXPECT_EQ(h.c().http_flows, 3u);
  EXPECT_EQ(h.c().http_requests, 3u);
  EXPECT_EQ(h.c().flows_bypassed, 0u);
  EXPECT_EQ(h.c().dropped(DropReason::not_http_port), 0u);
}

TEST(StreamPipelineAnyPort, NonHttpFlowsAreBypassedAfterTheirFirstBytes) {
  TempSet sets;
  const auto a = synthetic_file(8000, 104);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  // TLS on 443: 20 data segments; the 3rd is held back until the end, so that a followed flow would hold
  // everything after it out of order.
  std::vector<OwnedSegment> tls;
  Connection t(tls, client_tuple(0x0a000104, 41003, 443));
  t.handshake();
  t.send(0, tls_bytes(20 * 1460, 105));
  t.send(1, tls_bytes(3000, 106));
  t.close();
  std::rotate(tls.begin() + 5, tls.begin() + 6, tls.begin() + 23);  // segment 3 (index 5) arrives last of 20
  // SSH on 22: the server speaks first.
  Connection s(segs, client_tuple(0x0a000105, 41004, 22));
  s.handshake();
  s.send(1, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
  s.send(0, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
  s.send(0, tls_bytes(4000, 107));
  s.close();
  segs.insert(segs.end(), tls.begin(), tls.end());
  // And an upload on 8443, after both.
  Connection up(segs, client_tuple(0x0a000106, 41005, 8443));
  up.handshake();
  up.send(0, raw_request("POST", "/a.jpg", "h", a));
  up.close();
  h.run(segs, false);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  EXPECT_EQ(h.c().flows, 3u);
  EXPECT_EQ(h.c().flows_bypassed, 2u);
  EXPECT_EQ(h.c().http_flows, 1u);
  // Every data segment after the first of each bypassed flow was dropped unread: 19 + 2 of TLS (client's
  // 19 after its first; the server's 3), and SSH's 1 + 3 after the server's banner.
  EXPECT_EQ(h.c().dropped(DropReason::bypassed), (19u + 3u) + (1u + 3u));
  EXPECT_EQ(h.c().out_of_order_segments, 0u);  // nothing was held for them
  EXPECT_EQ(h.pipeline.out_of_order_peak(), 0u);
  EXPECT_EQ(h.c().gaps, 0u);
  EXPECT_EQ(h.c().dropped(DropReason::http_unparsable), 0u);  // never reached the HTTP parser
  // Their FINs ended them: nothing is left in the table.
  EXPECT_EQ(h.pipeline.flow_count(), 0u);
  EXPECT_EQ(h.c().flows_closed, 3u);
}

TEST(StreamPipelineAnyPort, RequestLineArrivingByteByByte) {
  TempSet sets;
  const auto a = synthetic_file(9000, 108);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000107, 41006, 5000));
  c.handshake();
  const std::string req = raw_request("POST", "/slow/a.jpg", "h", a);
  c.send(0, std::string_view(req).substr(0, 40), 1);  // the request line and a bit, one byte a segment
  c.send(0, std::string_view(req).substr(40));
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  EXPECT_EQ(h.c().http_flows, 1u);
  ASSERT_EQ(h.sink.hits.size(), 2u);
  EXPECT_EQ(h.sink.hits[0].uri, "/slow/a.jpg");
}

TEST(StreamPipelineAnyPort, MidstreamFlowTakesTheRequestSenderAsClient) {
  TempSet sets;
  const auto a = synthetic_file(8000, 109);
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000108, 41007, 5000));
  c.handshake();
  c.send(0, raw_request("POST", "/mid.jpg", "h", a));
  c.send(1, kOkResponse);
  c.close();
  segs.erase(segs.begin(), segs.begin() + 3);  // the capture started after the handshake
  StreamPipelineConfig cfg;
  cfg.reassembly.midstream = true;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  ASSERT_FALSE(h.sink.hits.empty());
  EXPECT_EQ(h.sink.hits[0].flow->src_port, 41007);
  EXPECT_EQ(h.sink.hits[0].flow->dst_port, 5000);
}

TEST(StreamPipelineAnyPort, TheSideThatSendsTheRequestLineIsTheClient) {
  TempSet sets;
  const auto a = synthetic_file(8000, 110);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  // The SYN's sender (port 41008) never speaks first; the side on 6000 sends the request.
  Connection c(segs, client_tuple(0x0a000109, 41008, 6000));
  c.handshake();
  c.send(1, raw_request("POST", "/back.jpg", "h", a));
  c.send(0, kOkResponse);
  c.close();
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  ASSERT_FALSE(h.sink.hits.empty());
  EXPECT_EQ(h.sink.hits[0].flow->src_port, 6000);
  EXPECT_EQ(h.sink.hits[0].flow->dst_port, 41008);
}

TEST(StreamPipelineAnyPort, BypassedFlowsAreEvictedBeforeAnUploadInProgress) {
  TempSet sets;
  const auto a = synthetic_file(40'000, 111);
  StreamPipelineConfig cfg;
  cfg.reassembly.max_flows = 16;
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::uint64_t clock = 1'700'000'000'000'000'000ull;
  std::vector<OwnedSegment> upload;
  Connection up(upload, client_tuple(0x0a00010a, 41009, 3000), 1000, 5000, &clock);
  up.handshake();
  up.send(0, raw_request("PUT", "/big.jpg", "h", a));
  up.close();
  const std::size_t half = upload.size() / 2;
  for (std::size_t i = 0; i < half; ++i) h.pipeline.process(upload[i].view());
  // 100 TLS connections open after it, none closed: each is bypassed after its first segment.
  for (std::uint32_t i = 0; i < 100; ++i) {
    std::vector<OwnedSegment> segs;
    Connection t(segs, client_tuple(0x0c000000 + i, 20000, 443), 1000, 5000, &clock);
    t.handshake();
    t.send(0, tls_bytes(2000, 200 + i));
    feed(h.pipeline, segs);
    ASSERT_LE(h.pipeline.flow_count(), 16u);
  }
  for (std::size_t i = half; i < upload.size(); ++i) h.pipeline.process(upload[i].view());
  h.pipeline.flush(kEnd);
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
  EXPECT_EQ(h.c().flows_bypassed, 100u);
  EXPECT_EQ(h.c().evictions, 0u);            // no followed flow was lost
  EXPECT_EQ(h.c().bypassed_evictions, 85u);  // 101 flows into 16 slots
  EXPECT_EQ(h.c().truncated_files, 0u);
}

TEST(StreamPipelineAnyPort, PortFilterStillAppliesAndStillDetects) {
  TempSet sets;
  const auto a = synthetic_file(8000, 112);
  StreamPipelineConfig cfg;
  cfg.http_ports = {5000};
  Harness h(cfg);
  h.pipeline.set_hash_set(sets.build({a}));
  std::vector<OwnedSegment> segs;
  Connection other(segs, client_tuple(0x0a00010b, 41010, 3000));
  other.handshake();
  other.send(0, raw_request("POST", "/a.jpg", "h", a));
  other.close();
  Connection tls(segs, client_tuple(0x0a00010c, 41011, 5000));
  tls.handshake();
  tls.send(0, tls_bytes(5000, 113));
  tls.close();
  h.run(segs);
  EXPECT_TRUE(h.hits().empty());
  EXPECT_EQ(h.c().flows, 1u);
  EXPECT_EQ(h.c().dropped(DropReason::not_http_port), 1u);
  EXPECT_EQ(h.c().flows_bypassed, 1u);
}

}  // namespace
}  // namespace dijk::test
