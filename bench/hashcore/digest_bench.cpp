// Digest rate of StreamingDigests per algorithm, beside `openssl speed -evp ALG -bytes N` in the same run.
// Goal: ratio >= 0.95 for each. Also the one-pass rate of all three against the bound the three
// single-algorithm OpenSSL rates imply (1 / sum of 1/rate). Then MD5 and SHA-1 over 8 and 16 concurrent
// streams in the lanes (hashcore/digest/multibuffer), per core, beside the same OpenSSL single-stream
// rate. Goal: MD5 >= 3x OpenSSL on >= 8 streams.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/hashcore/bench_clock.h"
#include "hashcore/digest/multibuffer/multibuffer_hasher.h"
#include "hashcore/digest/streaming_digests.h"

namespace {

double openssl_rate(const char* evp, std::size_t bytes, int seconds) {
  const std::string cmd = "openssl speed -mr -evp " + std::string(evp) + " -bytes " + std::to_string(bytes) +
                          " -seconds " + std::to_string(seconds) + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return 0;
  char line[512];
  double rate = 0;
  while (std::fgets(line, sizeof line, p.get())) {
    std::string s(line);
    if (s.rfind("+F:", 0) == 0) rate = std::strtod(s.substr(s.rfind(':') + 1).c_str(), nullptr);
  }
  return rate;
}

double our_rate(dijk::AlgorithmSet algorithms, const std::vector<std::uint8_t>& buffer, double seconds) {
  dijk::StreamingDigests d(algorithms);
  const double start = dijk::bench::thread_cpu_seconds();
  std::uint64_t bytes = 0;
  double now = start;
  while (now - start < seconds) {
    for (int i = 0; i < 64; ++i) d.update(buffer);
    bytes += 64 * buffer.size();
    now = dijk::bench::thread_cpu_seconds();
  }
  (void)d.finish();
  return static_cast<double>(bytes) / (now - start);
}

// `streams` streams of `size`-byte updates each, drained after every round of updates (as a reader
// thread drains after a batch of completed reads); each stream is finished and reopened every 64 rounds.
double lanes_rate(dijk::Algorithm algorithm, dijk::digest_lanes::LaneIsa isa, std::size_t streams,
                  std::size_t size, double seconds) {
  std::vector<std::uint8_t> bytes(streams * size + 64);
  std::mt19937 rng(2);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  dijk::digest_lanes::MultiBufferHasher hasher(algorithm, isa);
  std::vector<dijk::digest_lanes::MultiBufferHasher::StreamId> ids(streams);
  for (auto& id : ids) id = hasher.open();
  const double start = dijk::bench::thread_cpu_seconds();
  std::uint64_t total = 0;
  double now = start;
  for (unsigned round = 1; now - start < seconds; ++round) {
    for (std::size_t s = 0; s < streams; ++s) hasher.submit(ids[s], {bytes.data() + s * size + s % 64, size});
    hasher.drain();
    total += streams * size;
    if (round % 64 == 0) {
      for (auto& id : ids) {
        (void)hasher.finish(id);
        id = hasher.open();
      }
      now = dijk::bench::thread_cpu_seconds();
    }
  }
  return static_cast<double>(total) / (now - start);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t size = argc > 1 ? std::stoul(argv[1]) : 16384;
  const int seconds = argc > 2 ? std::stoi(argv[2]) : 2;
  std::vector<std::uint8_t> buffer(size);
  std::mt19937 rng(1);
  for (auto& b : buffer) b = static_cast<std::uint8_t>(rng());

  std::printf("digest rate, %zu-byte updates, thread CPU time (MB/s = 1e6 bytes/s)\n", size);
  std::printf("%-22s %12s %12s %8s\n", "algorithm", "dijk MB/s", "openssl MB/s", "ratio");
  double inverse_sum = 0;
  std::array<double, dijk::kAlgorithmCount> refs{};
  bool ok = true;
  for (dijk::Algorithm a : dijk::kAllAlgorithms) {
    const double ref = openssl_rate(std::string(dijk::algorithm_name(a)).c_str(), size, seconds);
    const double ours = our_rate(dijk::AlgorithmSet{}.add(a), buffer, seconds);
    refs[static_cast<std::size_t>(a)] = ref;
    inverse_sum += 1.0 / ref;
    const double ratio = ours / ref;
    ok = ok && ratio >= 0.95;
    std::printf("%-22s %12.0f %12.0f %8.3f\n", std::string(dijk::algorithm_name(a)).c_str(), ours / 1e6,
                ref / 1e6, ratio);
  }
  // One pass over several digests takes the blocks in turns (StreamingDigests::update), which can beat
  // the sum of the single rates: the digests' dependency chains overlap on the core.
  const double pair_bound = 1.0 / (1.0 / refs[0] + 1.0 / refs[2]);
  const double pair =
      our_rate(dijk::AlgorithmSet{}.add(dijk::Algorithm::md5).add(dijk::Algorithm::sha256), buffer, seconds);
  std::printf("%-22s %12.0f %12.0f %8.3f\n", "md5+sha256 (1 pass)", pair / 1e6, pair_bound / 1e6,
              pair / pair_bound);
  const double all = our_rate(dijk::AlgorithmSet::all(), buffer, seconds);
  std::printf("%-22s %12.0f %12.0f %8.3f\n", "md5+sha1+sha256 (1 pass)", all / 1e6, 1e-6 / inverse_sum,
              all * inverse_sum);
  std::printf("goal: each ratio >= 0.95: %s\n", ok ? "met" : "NOT met");

  using dijk::digest_lanes::LaneIsa;
  std::printf(
      "\nmany streams in lanes, %zu-byte updates a stream, thread CPU time, beside OpenSSL one stream\n",
      size);
  std::printf("%-22s %12s %12s %8s\n", "algorithm lanes xN", "dijk MB/s", "openssl MB/s", "ratio");
  bool lanes_ok = true;
  bool lanes_tried = false;
  for (dijk::Algorithm a : {dijk::Algorithm::md5, dijk::Algorithm::sha1}) {
    const double ref = refs[static_cast<std::size_t>(a)];
    for (LaneIsa isa : {LaneIsa::none, LaneIsa::avx2, LaneIsa::avx512}) {
      if (!dijk::digest_lanes::cpu_supports(isa)) {
        std::printf("%s %s: not on this CPU\n", std::string(dijk::algorithm_name(a)).c_str(),
                    std::string(dijk::digest_lanes::lane_isa_name(isa)).c_str());
        continue;
      }
      // `off` is the scheduler with the one-stream C code: what the lanes add over plain C.
      for (std::size_t streams : {std::size_t{8}, std::size_t{16}}) {
        if (isa == LaneIsa::none && streams == 16) continue;
        const double ours = lanes_rate(a, isa, streams, size, seconds);
        const std::string name = std::string(dijk::algorithm_name(a)) + " " +
                                 std::string(dijk::digest_lanes::lane_isa_name(isa)) + " x" +
                                 std::to_string(streams);
        std::printf("%-22s %12.0f %12.0f %8.3f\n", name.c_str(), ours / 1e6, ref / 1e6, ours / ref);
        if (a == dijk::Algorithm::md5 && isa == dijk::digest_lanes::best_lane_isa() && isa != LaneIsa::none) {
          lanes_tried = true;
          lanes_ok = lanes_ok && ours / ref >= 3.0;
        }
      }
    }
  }
  if (lanes_tried)
    std::printf("goal: md5 lanes >= 3x openssl on >= 8 streams: %s\n", lanes_ok ? "met" : "NOT met");
  return 0;
}
