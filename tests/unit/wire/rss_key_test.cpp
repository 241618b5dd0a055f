// The symmetric RSS key really is symmetric: Toeplitz over (a, b, pa, pb) equals Toeplitz over
// (b, a, pb, pa) for any tuple, so both directions of a connection reach the same queue on ports that
// only offer plain Toeplitz. The usual (Microsoft) key is not, which shows the test can fail.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "dataplane/dpdk/dpdk_compat.h"
#include "dataplane/dpdk/port.h"

namespace dijk::dpdk {
namespace {

TEST(SymmetricRssKey, BothDirectionsHashAlike) {
  std::mt19937 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const std::uint32_t a = static_cast<std::uint32_t>(rng()), b = static_cast<std::uint32_t>(rng());
    const auto pa = static_cast<std::uint16_t>(rng()), pb = static_cast<std::uint16_t>(rng());
    ASSERT_EQ(toeplitz_ipv4_tcp(a, b, pa, pb, symmetric_rss_key()),
              toeplitz_ipv4_tcp(b, a, pb, pa, symmetric_rss_key()));
  }
}

TEST(SymmetricRssKey, StillSpreadsFlows) {
  std::mt19937 rng(5);
  std::array<int, 4> queues{};
  for (int i = 0; i < 4000; ++i) {
    const auto h =
        toeplitz_ipv4_tcp(0x0a000001, 0x0a000002, static_cast<std::uint16_t>(rng()), 80, symmetric_rss_key());
    ++queues[h % 4];
  }
  for (int q : queues) EXPECT_GT(q, 700);
}

TEST(SymmetricRssKey, TheUsualKeyIsNotSymmetric) {
  const std::array<std::uint8_t, 40> microsoft{0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                               0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                               0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                               0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  EXPECT_NE(toeplitz_ipv4_tcp(0x0a000001, 0x0a000002, 40000, 80, microsoft.data()),
            toeplitz_ipv4_tcp(0x0a000002, 0x0a000001, 80, 40000, microsoft.data()));
}

}  // namespace
}  // namespace dijk::dpdk
