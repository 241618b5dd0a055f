// Prevention's verdicts, from hand-built TCP segments through the stream stage: a file on a `block` list
// blocks its connection exactly at the segment that ends its body, and only when the frames are held and
// the hit lane takes the hit; otherwise the hit is reported and the reason counted (fail open).
#include "dataplane/pipeline/ips_verdicts.h"

#include <optional>

#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

// A hit lane that can refuse hits as a full ring or a failing journal disk does.
class Lane : public HitSink {
 public:
  void on_hit(const HitEvent& hit) override { hits.push_back(hit); }
  bool try_hit(const HitEvent& hit) override {
    if (refuse) return false;
    hits.push_back(hit);
    return true;
  }
  bool refuse = false;
  std::vector<HitEvent> hits;
};

// One multipart upload of `file` from 10.0.0.2:40000 to port 80, and the index of the segment that carries
// the end of the request body.
struct Upload {
  std::vector<OwnedSegment> segments;
  std::size_t last_body_segment = 0;
  FlowTuple client = client_tuple(0x0a000002, 40000);
};

Upload upload(const std::vector<std::uint8_t>& file) {
  Upload u;
  Connection c(u.segments, u.client);
  c.handshake();
  const std::string body = multipart_body("b0und", {{"title", "t"}}, {{"photo.jpg", file}});
  c.send(0, multipart_request("/upload", "img.example", "b0und", body));
  u.last_body_segment = u.segments.size() - 1;
  c.send(1, kOkResponse);
  c.close();
  return u;
}

struct Ips {
  explicit Ips(VerdictPolicy policy) {
    config.ips = std::move(policy);
    pipeline.emplace(config, lane);
  }
  // Feeds the segments one at a time, holding each, and returns the index of each segment after which a
  // connection was blocked (with the connection).
  std::vector<std::pair<std::size_t, FlowTuple>> run(const Upload& u, bool held = true) {
    std::vector<std::pair<std::size_t, FlowTuple>> blocks;
    for (std::size_t i = 0; i < u.segments.size(); ++i) {
      pipeline->hold_frames(held);
      pipeline->process(u.segments[i].view());
      pipeline->hold_frames(false);
      for (const ips::Block& b : pipeline->take_blocks()) {
        EXPECT_EQ(b.segment, 0u);  // process() hands one segment at a time
        blocks.emplace_back(i, b.flow);
      }
    }
    pipeline->flush(kEnd);
    return blocks;
  }
  const StreamCounters& c() const { return pipeline->counters(); }

  StreamPipelineConfig config;
  Lane lane;
  std::optional<StreamPipeline> pipeline;
};

VerdictPolicy block_list_test() {
  return VerdictPolicy(Verdict::report, {PolicyRule{"test", Verdict::block}}, {});
}

TEST(IpsVerdicts, ABlockListHitBlocksItsConnectionAtTheSegmentThatEndsTheBody) {
  TempSet sets;
  const auto file = synthetic_file(20'000, 5);
  Ips ips(block_list_test());
  ips.pipeline->set_hash_set(sets.build({file}));
  const Upload u = upload(file);
  const auto blocks = ips.run(u);
  ASSERT_EQ(blocks.size(), 1u);  // one connection, once, though MD5 and SHA-1 both hit
  EXPECT_EQ(blocks[0].first, u.last_body_segment);
  EXPECT_EQ(blocks[0].second, u.client);
  ASSERT_EQ(ips.lane.hits.size(), 2u);
  for (const HitEvent& h : ips.lane.hits) EXPECT_EQ(h.action, "blocked");
  EXPECT_EQ(ips.c().ips_blocked, 2u);
  EXPECT_EQ(ips.c().ips_fail_open_journal, 0u);
  EXPECT_EQ(ips.c().ips_fail_open_unheld, 0u);
}

TEST(IpsVerdicts, InABurstTheBlockNamesTheSegmentThatEndedTheBody) {
  TempSet sets;
  const auto file = synthetic_file(20'000, 12);
  Ips ips(block_list_test());
  ips.pipeline->set_hash_set(sets.build({file}));
  const Upload u = upload(file);
  std::vector<TcpSegment> views;
  for (const auto& s : u.segments) views.push_back(s.view());
  ips.pipeline->hold_frames(true);
  ips.pipeline->process_burst(views);
  ips.pipeline->hold_frames(false);
  const auto blocks = ips.pipeline->take_blocks();
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].segment, u.last_body_segment);
  EXPECT_EQ(blocks[0].flow, u.client);
  EXPECT_TRUE(ips.pipeline->take_blocks().empty());  // taken once
}

TEST(IpsVerdicts, ACategoryRuleBlocksAndAReportListOnlyReports) {
  TempSet sets;
  const auto file = synthetic_file(9'000, 6);
  {
    Ips ips(VerdictPolicy(Verdict::report, {}, {PolicyRule{"T1", Verdict::block}}));  // the set's category
    ips.pipeline->set_hash_set(sets.build({file}));
    EXPECT_EQ(ips.run(upload(file)).size(), 1u);
  }
  Ips ips(VerdictPolicy(Verdict::block, {PolicyRule{"test", Verdict::report}}, {}));
  ips.pipeline->set_hash_set(sets.build({file}));
  EXPECT_TRUE(ips.run(upload(file)).empty());
  ASSERT_EQ(ips.lane.hits.size(), 2u);
  for (const HitEvent& h : ips.lane.hits) EXPECT_EQ(h.action, "");  // reported as ever
  EXPECT_EQ(ips.c().ips_blocked, 0u);
}

TEST(IpsVerdicts, AnUnlistedUploadIsNeverBlocked) {
  TempSet sets;
  Ips ips(block_list_test());
  ips.pipeline->set_hash_set(sets.build({synthetic_file(9'000, 7)}));
  EXPECT_TRUE(ips.run(upload(synthetic_file(9'000, 8))).empty());
  EXPECT_TRUE(ips.lane.hits.empty());
}

TEST(IpsVerdicts, FailsOpenWhenTheLaneCannotTakeTheHit) {
  TempSet sets;
  const auto file = synthetic_file(20'000, 9);
  Ips ips(block_list_test());
  ips.lane.refuse = true;
  ips.pipeline->set_hash_set(sets.build({file}));
  EXPECT_TRUE(ips.run(upload(file)).empty());  // forwarded
  EXPECT_EQ(ips.c().ips_fail_open_journal, 2u);
  EXPECT_EQ(ips.c().ips_blocked, 0u);
  ASSERT_EQ(ips.lane.hits.size(), 2u);  // still handed on to be reported when the journal can
  for (const HitEvent& h : ips.lane.hits) EXPECT_EQ(h.action, "");
}

TEST(IpsVerdicts, FailsOpenWhenTheFramesAreNotHeld) {
  TempSet sets;
  const auto file = synthetic_file(20'000, 10);
  Ips ips(block_list_test());
  ips.pipeline->set_hash_set(sets.build({file}));
  EXPECT_TRUE(ips.run(upload(file), /*held=*/false).empty());
  EXPECT_EQ(ips.c().ips_fail_open_unheld, 2u);
  EXPECT_EQ(ips.c().ips_blocked, 0u);
  EXPECT_EQ(ips.lane.hits.size(), 2u);
}

TEST(IpsVerdicts, WithoutPreventionNothingIsBlockedOrMarked) {
  TempSet sets;
  const auto file = synthetic_file(20'000, 11);
  Lane lane;
  StreamPipeline p(StreamPipelineConfig{}, lane);
  p.set_hash_set(sets.build({file}));
  const Upload u = upload(file);
  for (const auto& s : u.segments) {
    p.hold_frames(true);
    p.process(s.view());
    EXPECT_TRUE(p.take_blocks().empty());
  }
  ASSERT_EQ(lane.hits.size(), 2u);
  for (const HitEvent& h : lane.hits) EXPECT_EQ(h.action, "");
}

}  // namespace
}  // namespace dijk::test
