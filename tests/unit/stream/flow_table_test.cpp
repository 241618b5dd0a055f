// The flow table's open-addressing index and age lists against a plain std::map model, through long
// random sequences of inserts, lookups and erases (erases exercise backward-shift deletion).
#include "dataplane/stream/flow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/support/tcp_script.h"

namespace dijk {
namespace {

FlowTuple tuple_for(std::uint32_t i) {
  return FlowTuple{test::ipv4(0x0a000000 + i / 7), test::ipv4(0xc0a80001),
                   static_cast<std::uint16_t>(1000 + i % 7), 80};
}

TEST(FlowTable, MatchesAMapThroughRandomInsertsAndErases) {
  FlowTable table(500);
  std::map<std::uint32_t, Flow*> model;
  std::mt19937_64 rng(9);
  for (int step = 0; step < 200'000; ++step) {
    const auto id = static_cast<std::uint32_t>(rng() % 2000);
    const FlowKey key = FlowKey::of(tuple_for(id));
    Flow* found = table.find(key);
    auto it = model.find(id);
    ASSERT_EQ(found, it == model.end() ? nullptr : it->second) << step;
    if (found != nullptr && rng() % 2 == 0) {
      table.erase(*found);
      model.erase(it);
    } else if (found == nullptr && !table.full()) {
      Flow& f = table.insert(key, static_cast<std::uint64_t>(step));
      f.client = tuple_for(id);
      model[id] = &f;
    }
    ASSERT_EQ(table.size(), model.size());
  }
  for (const auto& [id, f] : model) ASSERT_EQ(table.find(FlowKey::of(tuple_for(id))), f);
}

TEST(FlowTable, BothDirectionsShareAKey) {
  const FlowTuple t = tuple_for(3);
  const FlowTuple r{t.dst, t.src, t.dst_port, t.src_port};
  EXPECT_EQ(FlowKey::of(t), FlowKey::of(r));
  EXPECT_FALSE(FlowKey::of(t) == FlowKey::of(tuple_for(4)));
}

TEST(FlowTable, OldestFirstPerStage) {
  FlowTable table(10);
  Flow& a = table.insert(FlowKey::of(tuple_for(1)), 1);
  Flow& b = table.insert(FlowKey::of(tuple_for(2)), 2);
  Flow& c = table.insert(FlowKey::of(tuple_for(3)), 3);
  EXPECT_EQ(table.oldest(FlowStage::embryonic), &a);
  table.touch(a, 4);
  EXPECT_EQ(table.oldest(FlowStage::embryonic), &b);
  table.set_stage(b, FlowStage::active);
  EXPECT_EQ(table.oldest(FlowStage::embryonic), &c);
  EXPECT_EQ(table.oldest(FlowStage::active), &b);
  table.erase(c);
  EXPECT_EQ(table.oldest(FlowStage::embryonic), &a);
}

}  // namespace
}  // namespace dijk
