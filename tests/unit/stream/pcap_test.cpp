// A real capture: curl uploads to an HTTP server on loopback (tests/data/stream/make_capture.sh), read
// with libpcap, as captured and mutated. Hits must be exactly the MD5 and SHA-1 of the uploaded files.
#include <fstream>
#include <map>
#include <random>

#include "tests/unit/stream/pcap_segments.h"
#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

const std::string kData = std::string(DIJK_SOURCE_DIR) + "/tests/data/stream/";

// (algorithm, hex) of every line of the md5sum / sha1sum files, by file name.
std::map<std::string, std::set<HitKey>> listed_hashes() {
  std::map<std::string, std::set<HitKey>> out;
  for (const char* alg : {"md5", "sha1"}) {
    std::ifstream in(kData + "files." + alg);
    std::string hex, name;
    while (in >> hex >> name) out[name].emplace(alg, hex);
  }
  return out;
}

std::shared_ptr<const HashSet> set_of(const std::map<std::string, std::set<HitKey>>& files) {
  SetBuilder b;
  const auto list = b.add_list("capture", "");
  for (const auto& [name, keys] : files) {
    for (const auto& [alg, hex] : keys) {
      Digest d;
      d.algorithm = *algorithm_from_name(alg);
      EXPECT_TRUE(from_hex_into(hex, {d.bytes.data(), d.size()}));
      b.add(d, list);
    }
  }
  const std::string path =
      (std::filesystem::temp_directory_path() / ("dijk-pcap-" + std::to_string(getpid()) + ".set")).string();
  b.write(path, 3);
  auto set = HashSet::open(path);
  std::filesystem::remove(path);
  return set;
}

std::set<HitKey> all_keys(const std::map<std::string, std::set<HitKey>>& files,
                          const std::set<std::string>& except = {}) {
  std::set<HitKey> out;
  for (const auto& [name, keys] : files) {
    if (!except.count(name)) out.insert(keys.begin(), keys.end());
  }
  return out;
}

struct Replay {
  RecordingSink sink;
  StreamCounters counters;
};

Replay replay(const std::vector<OwnedSegment>& segs, const std::shared_ptr<const HashSet>& set) {
  StreamPipelineConfig cfg;  // no port filter: the capture's port 18080 is HTTP by its first bytes
  Replay r;
  StreamPipeline p(cfg, r.sink);
  p.set_hash_set(set);
  feed(p, segs);
  p.flush(segs.back().time_ns + 1);
  r.counters = p.counters();
  return r;
}

TEST(StreamCapture, CurlUploadsAsCaptured) {
  const auto files = listed_hashes();
  ASSERT_EQ(files.size(), 4u);
  const auto segs = read_pcap_segments(kData + "upload.pcap");
  const Replay r = replay(segs, set_of(files));
  EXPECT_EQ(keys_of(r.sink.hits), all_keys(files));
  // a.jpg twice (multipart, PUT), b.png twice (multipart, chunked), c.jpg, d.bin: 6 files, 2 hashes each.
  EXPECT_EQ(r.sink.hits.size(), 12u);
  EXPECT_EQ(r.counters.files, 6u);
  EXPECT_EQ(r.counters.http_requests, 5u);
  EXPECT_EQ(r.counters.truncated_files, 0u);
  std::set<std::string> names;
  for (const auto& h : r.sink.hits) names.insert(h.filename);
  EXPECT_EQ(names, (std::set<std::string>{"a.jpg", "b.png", "c.jpg", "d.bin", "a2.jpg", "chunked"}));
}

TEST(StreamCapture, ResegmentedInto7ByteSegmentsReorderedAndDuplicated) {
  const auto files = listed_hashes();
  const auto segs = read_pcap_segments(kData + "upload.pcap");
  std::vector<OwnedSegment> out;
  std::mt19937_64 rng(3);
  for (const auto& s : segs) {
    if (s.payload.empty()) {
      out.push_back(s);
      continue;
    }
    std::vector<OwnedSegment> pieces;
    for (std::size_t off = 0; off < s.payload.size(); off += 7) {
      OwnedSegment p = s;
      p.flags = tcp_flags::ack;
      p.seq = s.seq + static_cast<std::uint32_t>(off);
      p.payload.assign(s.payload.begin() + static_cast<std::ptrdiff_t>(off),
                       s.payload.begin() + static_cast<std::ptrdiff_t>(std::min(s.payload.size(), off + 7)));
      pieces.push_back(std::move(p));
    }
    for (std::size_t i = 0; i + 1 < pieces.size(); i += 2) {
      if (rng() % 2) std::swap(pieces[i], pieces[i + 1]);
    }
    for (auto& p : pieces) {
      out.push_back(p);
      if (rng() % 8 == 0) out.push_back(p);
    }
  }
  const Replay r = replay(out, set_of(files));
  EXPECT_EQ(keys_of(r.sink.hits), all_keys(files));
  EXPECT_EQ(r.sink.hits.size(), 12u);
  EXPECT_GT(r.counters.duplicate_segments, 0u);
  EXPECT_GT(r.counters.out_of_order_segments, 0u);
}

TEST(StreamCapture, LostSegmentInThePutOfCDropsOnlyC) {
  const auto files = listed_hashes();
  auto segs = read_pcap_segments(kData + "upload.pcap");
  // A body segment of the request that starts "PUT /dav/c.jpg".
  std::size_t lose = segs.size();
  for (std::size_t i = 0; i < segs.size() && lose == segs.size(); ++i) {
    const std::string text(segs[i].payload.begin(), segs[i].payload.end());
    if (text.rfind("PUT /dav/c.jpg", 0) != 0) continue;
    for (std::size_t j = i + 1; j < segs.size(); ++j) {
      if (segs[j].tuple == segs[i].tuple && segs[j].payload.size() > 1000) {
        lose = j;
        break;
      }
    }
  }
  ASSERT_LT(lose, segs.size());
  segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(lose));
  const Replay r = replay(segs, set_of(files));
  EXPECT_EQ(keys_of(r.sink.hits), all_keys(files, {"c.jpg"}));
  EXPECT_EQ(r.sink.hits.size(), 10u);  // a2.jpg, sent after the loss on the same connection, still hits
  EXPECT_EQ(r.counters.truncated_files, 1u);
  EXPECT_EQ(r.counters.gaps, 1u);
  if (HasFailure()) {
    r.counters.for_each([](std::string_view n, std::uint64_t v) {
      if (v != 0) std::printf("%s=%llu\n", std::string(n).c_str(), static_cast<unsigned long long>(v));
    });
  }
}

}  // namespace
}  // namespace dijk::test
