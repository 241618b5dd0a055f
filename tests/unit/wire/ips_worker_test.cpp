// Prevention in the real worker loop, on two memory-fed ports (DPDK net_ring: rte_rings, no NIC, no
// kernel, no timing): a listed upload's last segment is dropped and a RST leaves each port towards its end
// with the right sequence numbers; an unlisted one passes whole; a worker that falls behind (8 full
// bursts in a row) forwards first and counts the block it could not enact. The RX ring is filled before
// the worker starts, so every burst the worker takes is exactly 32 frames until the ring runs dry.
#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/hit_lane_source.h"
#include "dataplane/decode/frame_decoder.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/worker.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/stream_consumer.h"
#include "dataplane/pipeline/wire_stages.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"
#include "tests/support/frame_bytes.h"
#include "tests/support/tcp_script.h"

namespace dijk::dpdk {
namespace {

using test::Bytes;
using test::put16;
using test::put32;

// An Ethernet/IPv4/TCP frame of a scripted segment (checksums zero: the dataplane does not check them).
Bytes frame_of(const test::OwnedSegment& s) {
  Bytes b = {2, 0, 0, 0, 0, s.tuple.dst.bytes[15], 2, 0, 0, 0, 0, s.tuple.src.bytes[15]};
  put16(b, 0x0800);
  b.insert(b.end(), {0x45, 0});
  put16(b, static_cast<std::uint16_t>(40 + s.payload.size()));
  b.insert(b.end(), {0, 1, 0x40, 0, 64, 6, 0, 0});
  b.insert(b.end(), s.tuple.src.bytes.begin() + 12, s.tuple.src.bytes.end());
  b.insert(b.end(), s.tuple.dst.bytes.begin() + 12, s.tuple.dst.bytes.end());
  put16(b, s.tuple.src_port);
  put16(b, s.tuple.dst_port);
  put32(b, s.seq);
  put32(b, s.ack);
  b.push_back(0x50);
  b.push_back(s.flags);
  put16(b, 65535);
  put32(b, 0);
  b.insert(b.end(), s.payload.begin(), s.payload.end());
  return b;
}

class RecordingLanes : public HitLaneSource, public HitSink {
 public:
  HitSink& new_lane() override { return *this; }
  void on_hit(const HitEvent& hit) override { hits.push_back(hit); }
  std::vector<HitEvent> hits;
};

struct Bridged {
  std::vector<Bytes> towards_server;  // out of port B: forwarded frames and resets to the server
  std::vector<Bytes> towards_client;  // out of port A: resets to the client
  CounterList counters;
  std::vector<HitEvent> hits;
  std::uint64_t counter(const std::string& name) const {
    for (const auto& [n, v] : counters)
      if (n == name) return v;
    ADD_FAILURE() << name << " missing";
    return 0;
  }
};

class IpsWorker : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EalOptions eal;
    eal.memory_mb = 256;
    eal.file_prefix = "dijk-ips-worker-" + std::to_string(getpid());
    eal.lcores = lcore_map(2, std::max(1u, std::thread::hardware_concurrency()));
    eal_ = new Eal(eal);
    pool_ = rte_pktmbuf_pool_create("ips_test_feed", 4095, 0, 0, 2048 + 128, 0);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() {
    rte_mempool_free(pool_);
    delete eal_;
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("dijk_ips_worker_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A set listing `listed` (MD5) on list "hotline", which the default policy blocks.
  std::string set_of(const Bytes& listed) {
    SetBuilder b;
    b.add(digest_buffer(AlgorithmSet{}.add(Algorithm::md5), listed).get(Algorithm::md5),
          b.add_list("hotline", "A1"));
    const std::string path = (dir_ / "test.set").string();
    b.write(path, 1);
    return path;
  }

  // All `frames` queued on port A's RX ring, then one inline worker with prevention until it has taken
  // them all; returns what left each port.
  Bridged bridge(const std::vector<Bytes>& frames, const std::string& set_path) {
    const std::string n = std::to_string(round_++);
    const auto ring = [&](const char* what) {
      return rte_ring_create((what + n).c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    };
    rte_ring *in_a = ring("ipst_in_a"), *out_a = ring("ipst_out_a"), *in_b = ring("ipst_in_b"),
             *out_b = ring("ipst_out_b");
    const int a = rte_eth_from_rings(("ipst_a" + n).c_str(), &in_a, 1, &out_a, 1, 0);
    const int b = rte_eth_from_rings(("ipst_b" + n).c_str(), &in_b, 1, &out_b, 1, 0);
    EXPECT_GE(a, 0);
    EXPECT_GE(b, 0);
    for (const Bytes& f : frames) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool_);
      EXPECT_NE(m, nullptr);
      std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
      EXPECT_EQ(rte_ring_enqueue(in_a, m), 0);
    }

    RecordingLanes lanes;
    LiveSet set(set_path);
    StreamFactory streams(StreamFactoryOptions{true, 1024, {}, 0, VerdictPolicy{}}, lanes, set, nullptr);
    DataplaneConfig config;
    config.mode = Mode::inline_bridge;
    config.ips = true;
    config.ports = {static_cast<std::uint16_t>(a), static_cast<std::uint16_t>(b)};
    config.mbufs_per_port = 1023;
    Bridged run;
    {
      Dataplane dp(config, [&](unsigned) { return streams.make(0); });
      // Empty means the worker has taken every frame; it finishes that burst before it sees the stop.
      dp.run([&] { return rte_ring_empty(in_a) != 0; });
      run.counters = dp.workers().front()->counter_list();
      const auto take = [](rte_ring* r, std::vector<Bytes>& out) {
        void* m = nullptr;
        while (rte_ring_dequeue(r, &m) == 0) {
          auto* mbuf = static_cast<rte_mbuf*>(m);
          const auto* p = rte_pktmbuf_mtod(mbuf, const std::uint8_t*);
          out.emplace_back(p, p + mbuf->data_len);
          rte_pktmbuf_free(mbuf);
        }
      };
      take(out_b, run.towards_server);
      take(out_a, run.towards_client);
    }
    run.hits = lanes.hits;
    for (rte_ring* r : {in_a, out_a, in_b, out_b}) rte_ring_free(r);
    return run;
  }

  static inline Eal* eal_ = nullptr;
  static inline rte_mempool* pool_ = nullptr;
  std::filesystem::path dir_;
  static inline unsigned round_ = 0;
};

// A multipart upload of `file` from 10.0.0.2:40000 to 10.0.0.1:80 (no answer: the test ends at the body).
std::vector<test::OwnedSegment> upload(const Bytes& file, std::uint16_t client_port = 40000) {
  std::vector<test::OwnedSegment> segs;
  test::Connection c(segs, FlowTuple{test::ipv4(0x0a000002), test::ipv4(0x0a000001), client_port, 80});
  c.handshake();
  const std::string body = test::multipart_body("b0und", {}, {{"photo.jpg", file}});
  c.send(0, test::multipart_request("/upload", "img.example", "b0und", body));
  return segs;
}

wire::DecodedFrame decoded(const Bytes& f) {
  wire::DecodeCounters c;
  return wire::decode_frame(f, 0, c);
}

TEST_F(IpsWorker, AListedUploadLosesItsLastSegmentAndBothEndsAreReset) {
  const Bytes listed = test::synthetic_file(20'000, 1);
  const auto segs = upload(listed);
  std::vector<Bytes> frames;
  for (const auto& s : segs) frames.push_back(frame_of(s));
  ASSERT_LT(frames.size(), 32u * 7);  // fewer than 8 full bursts: every burst is held

  const Bridged run = bridge(frames, set_of(listed));
  const test::OwnedSegment& last = segs.back();  // it carries the end of the body
  ASSERT_EQ(run.hits.size(), 1u);
  EXPECT_EQ(run.hits[0].action, "blocked");
  EXPECT_EQ(run.counter("stream_ips_blocked"), 1u);
  EXPECT_EQ(run.counter("ips_frames_dropped"), 1u);
  EXPECT_EQ(run.counter("ips_rsts_sent"), 2u);
  EXPECT_EQ(run.counter("ips_unheld_bursts"), 0u);

  // Towards the server: every frame but the last, then the reset in its place.
  ASSERT_EQ(run.towards_server.size(), frames.size());
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) EXPECT_EQ(run.towards_server[i], frames[i]) << i;
  const wire::DecodedFrame to_server = decoded(run.towards_server.back());
  ASSERT_EQ(to_server.status, wire::DecodeStatus::tcp);
  EXPECT_EQ(to_server.segment.flags & tcp_flags::rst, tcp_flags::rst);
  EXPECT_EQ(to_server.segment.tuple, last.tuple);
  EXPECT_EQ(to_server.segment.seq, last.seq);

  // Towards the client, out of the port the upload came in on: one reset from the server's side.
  ASSERT_EQ(run.towards_client.size(), 1u);
  const wire::DecodedFrame to_client = decoded(run.towards_client[0]);
  ASSERT_EQ(to_client.status, wire::DecodeStatus::tcp);
  EXPECT_EQ(to_client.segment.tuple.src, last.tuple.dst);
  EXPECT_EQ(to_client.segment.tuple.dst_port, last.tuple.src_port);
  EXPECT_EQ(to_client.segment.seq, last.ack);
  EXPECT_EQ(to_client.segment.ack, last.seq + last.payload.size());
}

TEST_F(IpsWorker, AnUnlistedUploadPassesWhole) {
  const auto segs = upload(test::synthetic_file(20'000, 2));
  std::vector<Bytes> frames;
  for (const auto& s : segs) frames.push_back(frame_of(s));
  const Bridged run = bridge(frames, set_of(test::synthetic_file(20'000, 3)));
  EXPECT_TRUE(run.hits.empty());
  EXPECT_EQ(run.towards_server, frames);
  EXPECT_TRUE(run.towards_client.empty());
  EXPECT_EQ(run.counter("ips_frames_dropped"), 0u);
  // Every counter a worker and its stream stage give is declared with what it counts (metrics' help).
  for (const auto& [name, value] : run.counters) {
    const bool declared =
        !dpdk::worker_counter_help(name).empty() || !StreamConsumer::counter_info(name).help.empty();
    EXPECT_TRUE(declared || name == "cpu_ns") << name;
  }
  EXPECT_TRUE(StreamConsumer::counter_info("stream_flows_open").gauge);
  EXPECT_FALSE(StreamConsumer::counter_info("stream_files").gauge);
}

TEST_F(IpsWorker, AWorkerBehindForwardsFirstAndCountsTheBlockItCouldNotEnact) {
  // The listed upload ends past the 8th full burst, and more frames follow so its burst is full too.
  const Bytes listed = test::synthetic_file(400'000, 4);
  const auto segs = upload(listed);
  std::vector<Bytes> frames;
  for (const auto& s : segs) frames.push_back(frame_of(s));
  ASSERT_GE(frames.size(), 32u * 8);
  for (const auto& s : upload(test::synthetic_file(100'000, 5), 40001)) frames.push_back(frame_of(s));

  const Bridged run = bridge(frames, set_of(listed));
  ASSERT_EQ(run.hits.size(), 1u);
  EXPECT_EQ(run.hits[0].action, "");  // reported, not blocked
  EXPECT_EQ(run.counter("stream_ips_fail_open_unheld"), 1u);
  EXPECT_EQ(run.counter("stream_ips_blocked"), 0u);
  EXPECT_GT(run.counter("ips_unheld_bursts"), 0u);
  // The first 7 full bursts are held, and the last one, which is not full.
  EXPECT_EQ(run.counter("ips_held_bursts"), 7u + (frames.size() % 32 != 0 ? 1u : 0u));
  EXPECT_EQ(run.towards_server, frames);  // all forwarded, in order
  EXPECT_TRUE(run.towards_client.empty());
}

}  // namespace
}  // namespace dijk::dpdk
