// The worker's table of blocked connections: found from either direction, for as long as it is held,
// and bounded (a full table forgets the entry closest to expiry, never grows).
#include "dataplane/ips/blocked_flows.h"

#include <gtest/gtest.h>

namespace dijk::ips {
namespace {

FlowTuple flow(std::uint8_t client, std::uint16_t client_port) {
  FlowTuple f;
  f.src.bytes[15] = client;
  f.dst.bytes[15] = 200;
  f.src_port = client_port;
  f.dst_port = 80;
  return f;
}

FlowTuple reversed(const FlowTuple& f) {
  return FlowTuple{f.dst, f.src, f.dst_port, f.src_port};
}

TEST(BlockedFlows, FindsAConnectionFromBothDirectionsUntilItsHoldEnds) {
  BlockedFlows t(1000);
  EXPECT_TRUE(t.empty());
  t.add(flow(1, 40000), 50);
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(t.contains(flow(1, 40000), 60));
  EXPECT_TRUE(t.contains(reversed(flow(1, 40000)), 60));  // the server's frames too
  EXPECT_FALSE(t.contains(flow(1, 40001), 60));           // another connection of the same client
  EXPECT_FALSE(t.contains(flow(2, 40000), 60));
  EXPECT_FALSE(t.contains(flow(1, 40000), 1050));  // held from 50 for 1000
  t.expire(1049);
  EXPECT_FALSE(t.empty());
  t.expire(1050);
  EXPECT_TRUE(t.empty());
}

TEST(BlockedFlows, BlockingAgainExtendsTheHold) {
  BlockedFlows t(1000);
  t.add(flow(1, 40000), 0);
  t.add(reversed(flow(1, 40000)), 500);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.contains(flow(1, 40000), 1400));
}

TEST(BlockedFlows, AFullTableForgetsTheEntryClosestToExpiry) {
  BlockedFlows t(1000);
  for (std::size_t i = 0; i < BlockedFlows::kCapacity; ++i)
    t.add(flow(1, static_cast<std::uint16_t>(1000 + i)), 10 + i);
  EXPECT_EQ(t.size(), BlockedFlows::kCapacity);
  t.add(flow(9, 9), 500);
  EXPECT_EQ(t.size(), BlockedFlows::kCapacity);
  EXPECT_TRUE(t.contains(flow(9, 9), 600));
  EXPECT_FALSE(t.contains(flow(1, 1000), 600));  // the oldest went
  EXPECT_TRUE(t.contains(flow(1, 1001), 600));
}

}  // namespace
}  // namespace dijk::ips
