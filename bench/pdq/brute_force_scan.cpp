#include "bench/pdq/brute_force_scan.h"

#include <bit>

namespace dijk::bench {

void brute_force_scan(const std::uint64_t* hashes, std::size_t n, const std::uint64_t* query, int radius,
                      std::vector<std::uint32_t>& out) {
  const std::uint64_t q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3];
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t* h = hashes + 4 * i;
    const int d = std::popcount(h[0] ^ q0) + std::popcount(h[1] ^ q1) + std::popcount(h[2] ^ q2) +
                  std::popcount(h[3] ^ q3);
    if (d <= radius) out.push_back(static_cast<std::uint32_t>(i));
  }
}

}  // namespace dijk::bench
