#pragma once
// Shared by the stream tests: a temporary set file holding the MD5 and SHA-1 of chosen files, a sink that
// records hits, and the exact-set comparison every case asserts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/hit_event.h"
#include "dataplane/pipeline/stream_pipeline.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/util/hex.h"
#include "tests/support/tcp_script.h"

namespace dijk::test {

class RecordingSink : public HitSink {
 public:
  void on_hit(const HitEvent& hit) override { hits.push_back(hit); }
  std::vector<HitEvent> hits;
};

using HitKey = std::pair<std::string, std::string>;  // (algorithm, hex)

inline std::set<HitKey> keys_of(const std::vector<HitEvent>& hits) {
  std::set<HitKey> out;
  for (const auto& h : hits) out.emplace(h.algorithm, h.hash);
  return out;
}

inline std::set<HitKey> md5_sha1_keys(const std::vector<std::vector<std::uint8_t>>& files) {
  std::set<HitKey> out;
  for (const auto& f : files) {
    const auto r = digest_buffer(AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1), f);
    const auto& m = r.get(Algorithm::md5);
    const auto& s = r.get(Algorithm::sha1);
    out.emplace("md5", to_hex({m.bytes.data(), m.size()}));
    out.emplace("sha1", to_hex({s.bytes.data(), s.size()}));
  }
  return out;
}

class TempSet {
 public:
  TempSet() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dijk-stream-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempSet() { std::filesystem::remove_all(dir_); }
  TempSet(const TempSet&) = delete;
  TempSet& operator=(const TempSet&) = delete;

  // A set with the MD5 and SHA-1 of `listed` in list "test", and `allowed` on the allow-list.
  std::shared_ptr<const HashSet> build(const std::vector<std::vector<std::uint8_t>>& listed,
                                       const std::vector<std::vector<std::uint8_t>>& allowed = {}) {
    SetBuilder b;
    const auto list = b.add_list("test", "T1");
    const AlgorithmSet algs = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1);
    for (const auto& f : listed) {
      const auto r = digest_buffer(algs, f);
      b.add(r.get(Algorithm::md5), list);
      b.add(r.get(Algorithm::sha1), list);
    }
    for (const auto& f : allowed) {
      const auto r = digest_buffer(algs, f);
      b.add_allow(r.get(Algorithm::md5));
    }
    const std::string path = (dir_ / ("s" + std::to_string(++n_) + ".set")).string();
    b.write(path, 7);
    return HashSet::open(path);
  }

 private:
  std::filesystem::path dir_;
  int n_ = 0;
};

inline FlowTuple client_tuple(std::uint32_t client_ip, std::uint16_t client_port,
                              std::uint16_t server_port = 80, std::uint32_t server_ip = 0x0a000001) {
  return FlowTuple{ipv4(client_ip), ipv4(server_ip), client_port, server_port};
}

inline void feed(StreamPipeline& p, const std::vector<OwnedSegment>& segments) {
  for (const auto& s : segments) p.process(s.view());
}

// A time past every flow's idle timeout: flushing at it ends every flow still open.
inline constexpr std::uint64_t kEnd = 1'800'000'000'000'000'000ull;

// One stream pipeline, the hits it reports, and its counters.
struct Harness {
  explicit Harness(StreamPipelineConfig config = {}, match::ImageQueue* images = nullptr)
      : pipeline(config, sink, images) {}
  void run(const std::vector<OwnedSegment>& segments, bool flush = true) {
    feed(pipeline, segments);
    if (flush) pipeline.flush(kEnd);
  }
  std::set<HitKey> hits() const { return keys_of(sink.hits); }
  const StreamCounters& c() const { return pipeline.counters(); }
  RecordingSink sink;
  StreamPipeline pipeline;
};

}  // namespace dijk::test
