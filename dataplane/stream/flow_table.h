#pragma once
// One worker's table of TCP flows: an open-addressing index (linear probing, seeded XXH3 so crafted
// tuples cannot be made to collide) from the direction-independent key to a slot, a cap on the number of
// flows, and three age-ordered lists so the oldest flow can be found in O(1). Bypassed flows (their app
// declined them: nothing is lost when they go) are evicted first, then flows that never carried data (a
// SYN flood), then flows that did.
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/packet/packet_view.h"
#include "dataplane/stream/flow_app.h"
#include "dataplane/stream/half_stream.h"

namespace dijk {

// Both directions of a connection map to the same key: the lower (address, port) endpoint comes first.
struct FlowKey {
  std::array<std::uint8_t, 16> a{};
  std::array<std::uint8_t, 16> b{};
  std::uint16_t a_port = 0;
  std::uint16_t b_port = 0;
  bool operator==(const FlowKey&) const = default;
  static FlowKey of(const FlowTuple& t);
};

enum class FlowStage : std::uint8_t {
  embryonic = 0,  // no data yet
  active = 1,     // carried data; followed
  bypassed = 2,   // its app declined it: segments are dropped unread, nothing is held
};
inline constexpr int kFlowStages = 3;

struct Flow {
  FlowKey key;
  FlowTuple client;  // oriented client -> server; half[0] is that direction
  TcpHalfStream half[2];
  std::unique_ptr<FlowApp> app;
  std::uint64_t first_seen_ns = 0;
  std::uint64_t last_seen_ns = 0;
  std::uint32_t prev = kNone;
  std::uint32_t next = kNone;
  FlowStage stage = FlowStage::embryonic;
  bool overlap_conflict = false;  // an overlap carried different bytes (first copy was kept)
  static constexpr std::uint32_t kNone = 0xffffffffu;
};

class FlowTable {
 public:
  explicit FlowTable(std::uint32_t max_flows);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  Flow* find(const FlowKey& key);
  // Starts loading the index entry `key` hashes to, ahead of a find() a few segments later.
  void prefetch(const FlowKey& key) const { __builtin_prefetch(&index_[hash(key) & mask_]); }
  // Adds a flow; the caller makes room first (full() is false).
  Flow& insert(const FlowKey& key, std::uint64_t now_ns);
  void erase(Flow& flow);
  // Marks the flow as just seen: it moves to the young end of its list.
  void touch(Flow& flow, std::uint64_t now_ns);
  void set_stage(Flow& flow, FlowStage stage);
  // Oldest flow of a list, or nullptr.
  Flow* oldest(FlowStage stage);

  bool full() const { return size_ == max_flows_; }
  std::uint32_t size() const { return size_; }
  std::uint32_t capacity() const { return max_flows_; }

 private:
  struct List {
    std::uint32_t head = Flow::kNone;  // oldest
    std::uint32_t tail = Flow::kNone;  // youngest
  };
  std::uint32_t index_of(const Flow& f) const { return static_cast<std::uint32_t>(&f - slots_.data()); }
  void link(Flow& f);
  void unlink(Flow& f);
  std::uint64_t hash(const FlowKey& k) const;
  void index_erase(std::size_t pos);

  // Each index entry is (upper 32 bits of the hash) << 32 | (slot + 1); 0 is empty.
  static constexpr std::uint64_t kEmpty = 0;

  std::uint32_t max_flows_;
  std::uint32_t size_ = 0;
  std::vector<Flow> slots_;  // reserved up front so Flow addresses never move
  std::vector<std::uint32_t> free_;
  std::vector<std::uint64_t> index_;
  std::uint64_t mask_ = 0;
  std::uint64_t seed_ = 0;
  List lists_[kFlowStages];
};

}  // namespace dijk
