// The wire path with MD5 and SHA-1 in vector lanes reports exactly the hits of the one-stream path: many
// uploads interleaved segment by segment (as a busy link carries them), files larger than the lanes'
// staging arena, keep-alive connections with a second file, and cut connections whose files are
// truncated, never matched, while the other uploads' queued bytes stay intact.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

using digest_lanes::LaneIsa;

class WireLanes : public ::testing::TestWithParam<LaneIsa> {};

TEST_P(WireLanes, InterleavedUploadsHitExactlyAsOneStreamAtATime) {
  if (!digest_lanes::cpu_supports(GetParam())) GTEST_SKIP() << "this CPU lacks these lanes";
  TempSet sets;
  std::vector<std::vector<std::uint8_t>> listed, expected;
  std::vector<std::vector<OwnedSegment>> per_connection;
  std::size_t cut = 0;
  for (std::uint32_t i = 0; i < 40; ++i) {
    const std::size_t size = i % 10 == 3 ? 700'000 : 1 + (i * 7919) % 90'000;
    const auto file = synthetic_file(size, 100 + i, i % 2 == 0);
    const auto second = synthetic_file(5 + i * 301, 500 + i);
    const bool is_listed = i % 3 != 1;
    const bool is_cut = i % 7 == 5;
    if (is_listed) listed.push_back(file);
    if (is_listed && !is_cut) expected.push_back(file);
    listed.push_back(second);  // the keep-alive connection's second file: sent only if not cut
    if (!is_cut) expected.push_back(second);
    per_connection.emplace_back();
    Connection c(per_connection.back(), client_tuple(0x0a000100 + i, static_cast<std::uint16_t>(40000 + i)));
    c.handshake();
    const std::string request = raw_request("PUT", "/u/" + std::to_string(i), "h", file);
    if (is_cut) {
      c.send(0, std::string_view(request).substr(0, request.size() / 2));
      c.rst(0);
      ++cut;
      continue;
    }
    c.send(0, request);
    c.send(1, kOkResponse);
    c.send(0, raw_request("POST", "/again", "h", second));
    c.send(1, kOkResponse);
    c.close();
  }
  // Round robin: one segment of every connection in turn.
  std::vector<OwnedSegment> segs;
  for (std::size_t k = 0;; ++k) {
    bool any = false;
    for (const auto& conn : per_connection) {
      if (k < conn.size()) {
        segs.push_back(conn[k]);
        any = true;
      }
    }
    if (!any) break;
  }

  StreamPipelineConfig config;
  config.files.digest_lanes = GetParam();
  Harness h(config);
  h.pipeline.set_hash_set(sets.build(listed));
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys(expected));
  EXPECT_EQ(h.c().truncated_files, cut);
}

std::string isa_name(const ::testing::TestParamInfo<LaneIsa>& p) {
  return std::string(digest_lanes::lane_isa_name(p.param));
}
INSTANTIATE_TEST_SUITE_P(Isas, WireLanes, ::testing::Values(LaneIsa::none, LaneIsa::avx2, LaneIsa::avx512),
                         isa_name);

}  // namespace
}  // namespace dijk::test
