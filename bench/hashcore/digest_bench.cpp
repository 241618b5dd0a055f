// Digest rate of StreamingDigests per algorithm, beside `openssl speed -evp ALG -bytes N` in the same run.
// Goal: ratio >= 0.95 for each. Also the one-pass rate of all three against the bound the three
// single-algorithm OpenSSL rates imply (1 / sum of 1/rate).
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/hashcore/bench_clock.h"
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
  return 0;
}
