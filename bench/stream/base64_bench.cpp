// Images uploaded as base64 in JSON bodies ({"user": ..., "image": "<base64>"}), through the stream stage
// on one core, fed from memory: 16 keep-alive connections interleaved segment by segment (1460 bytes),
// server responses included, a set holding MD5 and SHA-1 of some of the images. The pipeline hashes each
// decoded image; a JSON body is not hashed as sent (docs/wire-stream.md), so the decoded bytes are all
// it digests.
//
// Reference, measured in the same run with the same algorithms (MD5 and SHA-1, OpenSSL EVP via
// StreamingDigests) over whole buffers: the digest bound of the decoded bytes (the issue's reference:
// "base64 uploads at >= 0.8x the digest bound of the decoded bytes"). The pipeline cannot beat it; the
// rest of its time is reassembly, HTTP, the JSON scan and the base64 decode (the "digests off" line).
//
//   base64_bench [--megabytes M] [--runs N]     (defaults: 256 MB of decoded images, best of 3 runs)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/pipeline/stream_pipeline.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"
#include "tests/support/base64_text.h"
#include "tests/support/tcp_script.h"

namespace dijk::bench {
namespace {

// This thread's CPU time: the machine is shared; every figure and its references are timed the same way.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class CountingSink : public HitSink {
 public:
  void on_hit(const HitEvent&) override { ++hits; }
  std::uint64_t hits = 0;
};

const AlgorithmSet kAlgorithms = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1);

struct Workload {
  std::vector<std::vector<std::uint8_t>> images;  // decoded
  std::vector<std::string> bodies;                // the JSON bodies as sent
  std::vector<test::OwnedSegment> segments;
  std::uint64_t image_bytes = 0, body_bytes = 0;
};

Workload generate(std::uint64_t decoded_bytes) {
  Workload w;
  std::mt19937_64 rng(2026);
  // Image sizes from 32 KiB to 4 MiB, as phones and web forms send them.
  while (w.image_bytes < decoded_bytes) {
    const std::size_t size = (32u << 10) + static_cast<std::size_t>(rng() % (4u << 20));
    w.images.push_back(test::synthetic_file(size, rng()));
    w.image_bytes += size;
  }
  for (std::size_t i = 0; i < w.images.size(); ++i) {
    w.bodies.push_back(R"({"user": "u)" + std::to_string(i) + R"(", "image": ")" +
                       test::base64_text(w.images[i]) + R"("})");
    w.body_bytes += w.bodies.back().size();
  }
  // 16 connections, each carrying every 16th upload; their segments interleaved one by one.
  constexpr std::size_t kConnections = 16;
  std::vector<std::vector<test::OwnedSegment>> per(kConnections);
  for (std::size_t c = 0; c < kConnections; ++c) {
    test::Connection conn(
        per[c], FlowTuple{test::ipv4(0x0a000100 + static_cast<std::uint32_t>(c)), test::ipv4(0x0a000001),
                          static_cast<std::uint16_t>(40000 + c), 80});
    conn.handshake();
    for (std::size_t i = c; i < w.bodies.size(); i += kConnections) {
      const std::string head =
          "POST /api/upload HTTP/1.1\r\nHost: api.example\r\nContent-Type: application/json"
          "\r\nContent-Length: " +
          std::to_string(w.bodies[i].size()) + "\r\n\r\n";
      conn.send(0, head + w.bodies[i]);
      conn.send(1, test::kOkResponse);
    }
    conn.close();
  }
  for (std::size_t k = 0;; ++k) {
    bool any = false;
    for (auto& v : per) {
      if (k < v.size()) {
        w.segments.push_back(std::move(v[k]));
        any = true;
      }
    }
    if (!any) break;
  }
  return w;
}

struct RunResult {
  double seconds = 0;
  StreamCounters counters;
  std::uint64_t hits = 0;
  std::string lanes;
};

// `lanes` unset: MD5 and SHA-1 in the widest lanes the CPU has (or DIJK_DIGEST_LANES); none: the old path,
// one stream at a time through OpenSSL.
RunResult run(const Workload& w, const std::shared_ptr<const HashSet>& set, bool digests = true,
              std::optional<digest_lanes::LaneIsa> lanes = std::nullopt) {
  CountingSink sink;
  StreamPipelineConfig config;
  config.files.digests = digests;
  config.files.digest_lanes = lanes;
  StreamPipeline p(config, sink, nullptr);
  p.set_hash_set(set);
  const double t0 = cpu_now();
  for (const auto& s : w.segments) p.process(s.view());
  p.flush(1'800'000'000'000'000'000ull);
  RunResult r;
  r.seconds = cpu_now() - t0;
  r.counters = p.counters();
  r.hits = sink.hits;
  r.lanes = p.lanes();
  return r;
}

template <typename Buffers>
double digest_seconds(const Buffers& buffers) {
  StreamingDigests d(kAlgorithms);
  std::uint8_t x = 0;
  const double t0 = cpu_now();
  for (const auto& b : buffers) {
    d.reset();
    d.update({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
    x ^= d.finish().get(Algorithm::md5).bytes[0];
  }
  const double s = cpu_now() - t0;
  if (x == 0x5a) std::puts("");  // keep the work observable
  return s;
}

double mbps(std::uint64_t bytes, double seconds) {
  return static_cast<double>(bytes) / seconds / 1e6;
}

}  // namespace
}  // namespace dijk::bench

int main(int argc, char** argv) {
  using namespace dijk;
  using namespace dijk::bench;
  double megabytes = 256;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--megabytes") == 0) megabytes = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  const Workload w = generate(static_cast<std::uint64_t>(megabytes * 1e6));
  std::printf("%zu JSON uploads: %.1f MB of decoded images in %.1f MB of JSON, %zu segments\n",
              w.images.size(), static_cast<double>(w.image_bytes) / 1e6,
              static_cast<double>(w.body_bytes) / 1e6, w.segments.size());

  // The set: MD5 and SHA-1 of every 8th image.
  const auto dir = std::filesystem::temp_directory_path() / ("dijk-base64-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  SetBuilder b;
  const auto list = b.add_list("bench", "");
  std::uint64_t listed = 0;
  for (std::size_t i = 0; i < w.images.size(); i += 8, ++listed) {
    const auto r = digest_buffer(kAlgorithms, w.images[i]);
    b.add(r.get(Algorithm::md5), list);
    b.add(r.get(Algorithm::sha1), list);
  }
  b.write((dir / "bench.set").string(), 1);
  const auto set = HashSet::open((dir / "bench.set").string());
  std::filesystem::remove_all(dir);

  // Interleaved, best of `runs` each: other tenants of the machine come and go.
  RunResult best;
  double images_s = 1e30, parse_s = 1e30, one_stream_s = 1e30;
  for (int i = 0; i < runs; ++i) {
    const RunResult r = run(w, set);
    if (i == 0 || r.seconds < best.seconds) best = r;
    one_stream_s = std::min(one_stream_s, run(w, set, true, digest_lanes::LaneIsa::none).seconds);
    parse_s = std::min(parse_s, run(w, set, false).seconds);
    images_s = std::min(images_s, digest_seconds(w.images));
  }
  const auto& c = best.counters;
  if (c.embedded_files != w.images.size() || c.http_json_bodies != w.bodies.size() ||
      c.truncated_files != 0 || best.hits != 2 * listed || c.bytes_hashed != w.image_bytes) {
    std::printf(
        "ERROR: embedded files %llu of %zu, JSON bodies %llu, truncated %llu, hits %llu of %llu, hashed %llu "
        "of %llu\n",
        static_cast<unsigned long long>(c.embedded_files), w.images.size(),
        static_cast<unsigned long long>(c.http_json_bodies),
        static_cast<unsigned long long>(c.truncated_files), static_cast<unsigned long long>(best.hits),
        static_cast<unsigned long long>(2 * listed), static_cast<unsigned long long>(c.bytes_hashed),
        static_cast<unsigned long long>(w.image_bytes));
    return 1;
  }
  const double pipeline = mbps(w.image_bytes, best.seconds);
  const double bound = mbps(w.image_bytes, images_s);
  std::printf("pipeline, MD5+SHA-1:          %7.1f MB/s of decoded image bytes (%.1f MB/s of JSON), %s\n",
              pipeline, mbps(w.body_bytes, best.seconds),
              best.lanes.empty() ? "one stream at a time" : best.lanes.c_str());
  const double one_stream = mbps(w.image_bytes, one_stream_s);
  std::printf("  old path, lanes off:        %7.1f MB/s   ratio %.3f of the bound; lanes / old path %.2f\n",
              one_stream, one_stream / mbps(w.image_bytes, images_s), pipeline / one_stream);
  std::printf("digest bound, decoded bytes:  %7.1f MB/s (same run)   ratio %.3f   goal >= 0.8: %s\n", bound,
              pipeline / bound, pipeline / bound >= 0.8 ? "met" : "NOT met");
  std::printf(
      "digests off (reassembly, HTTP, JSON scan, base64 decode): %7.1f MB/s of decoded bytes, %.0f%% "
      "of the time with digests\n",
      mbps(w.image_bytes, parse_s), 100.0 * parse_s / best.seconds);
  std::printf("(times are this thread's CPU time; best of %d interleaved runs each)\n", runs);
  return 0;
}
