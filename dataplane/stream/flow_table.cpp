#include "dataplane/stream/flow_table.h"

#include <xxhash.h>

#include <cstring>
#include <random>

namespace dijk {

FlowKey FlowKey::of(const FlowTuple& t) {
  FlowKey k;
  const int c = std::memcmp(t.src.bytes.data(), t.dst.bytes.data(), 16);
  const bool src_first = c < 0 || (c == 0 && t.src_port <= t.dst_port);
  k.a = src_first ? t.src.bytes : t.dst.bytes;
  k.b = src_first ? t.dst.bytes : t.src.bytes;
  k.a_port = src_first ? t.src_port : t.dst_port;
  k.b_port = src_first ? t.dst_port : t.src_port;
  return k;
}

std::uint64_t FlowTable::hash(const FlowKey& k) const {
  static_assert(sizeof(FlowKey) == 36, "FlowKey must have no padding: it is hashed as bytes");
  return XXH3_64bits_withSeed(&k, sizeof k, seed_);
}

FlowTable::FlowTable(std::uint32_t max_flows) : max_flows_(max_flows == 0 ? 1 : max_flows) {
  // Reserving address space only: pages are touched as slots are first used.
  slots_.reserve(max_flows_);
  std::uint64_t cap = 16;
  while (cap < 2ull * max_flows_) cap <<= 1;  // at most half full: short probe runs
  index_.assign(cap, kEmpty);
  mask_ = cap - 1;
  seed_ = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

Flow* FlowTable::find(const FlowKey& key) {
  const std::uint64_t h = hash(key);
  const std::uint64_t tag = h >> 32;
  for (std::uint64_t pos = h & mask_;; pos = (pos + 1) & mask_) {
    const std::uint64_t e = index_[pos];
    if (e == kEmpty) return nullptr;
    if ((e >> 32) == tag) {
      Flow& f = slots_[static_cast<std::uint32_t>(e) - 1];
      if (f.key == key) return &f;
    }
  }
}

void FlowTable::index_erase(std::size_t pos) {
  // Backward-shift deletion: later entries of the probe run move up so no tombstones are needed.
  std::size_t hole = pos;
  for (std::size_t next = (hole + 1) & mask_;; next = (next + 1) & mask_) {
    const std::uint64_t e = index_[next];
    if (e == kEmpty) break;
    const std::size_t home = hash(slots_[static_cast<std::uint32_t>(e) - 1].key) & mask_;
    // Move e into the hole if its home is not cyclically within (hole, next].
    const bool stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (!stays) {
      index_[hole] = e;
      hole = next;
    }
  }
  index_[hole] = kEmpty;
}

Flow& FlowTable::insert(const FlowKey& key, std::uint64_t now_ns) {
  std::uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    idx = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Flow& f = slots_[idx];
  f = Flow{};
  f.key = key;
  f.first_seen_ns = now_ns;
  f.last_seen_ns = now_ns;
  const std::uint64_t h = hash(key);
  std::uint64_t pos = h & mask_;
  while (index_[pos] != kEmpty) pos = (pos + 1) & mask_;
  index_[pos] = ((h >> 32) << 32) | (std::uint64_t{idx} + 1);
  link(f);
  ++size_;
  return f;
}

void FlowTable::erase(Flow& flow) {
  unlink(flow);
  const std::uint32_t idx = index_of(flow);
  const std::uint64_t h = hash(flow.key);
  for (std::uint64_t pos = h & mask_;; pos = (pos + 1) & mask_) {
    if (static_cast<std::uint32_t>(index_[pos]) == idx + 1) {
      index_erase(pos);
      break;
    }
  }
  flow = Flow{};  // frees the app and the held segments' vectors
  free_.push_back(idx);
  --size_;
}

void FlowTable::touch(Flow& flow, std::uint64_t now_ns) {
  flow.last_seen_ns = now_ns;
  List& l = lists_[static_cast<int>(flow.stage)];
  if (l.tail == index_of(flow)) return;
  unlink(flow);
  link(flow);
}

void FlowTable::set_stage(Flow& flow, FlowStage stage) {
  if (flow.stage == stage) return;
  unlink(flow);
  flow.stage = stage;
  link(flow);
}

Flow* FlowTable::oldest(FlowStage stage) {
  const std::uint32_t h = lists_[static_cast<int>(stage)].head;
  return h == Flow::kNone ? nullptr : &slots_[h];
}

void FlowTable::link(Flow& f) {
  List& l = lists_[static_cast<int>(f.stage)];
  const std::uint32_t idx = index_of(f);
  f.prev = l.tail;
  f.next = Flow::kNone;
  if (l.tail != Flow::kNone) slots_[l.tail].next = idx;
  l.tail = idx;
  if (l.head == Flow::kNone) l.head = idx;
}

void FlowTable::unlink(Flow& f) {
  List& l = lists_[static_cast<int>(f.stage)];
  if (f.prev != Flow::kNone)
    slots_[f.prev].next = f.next;
  else
    l.head = f.next;
  if (f.next != Flow::kNone)
    slots_[f.next].prev = f.prev;
  else
    l.tail = f.prev;
  f.prev = f.next = Flow::kNone;
}

}  // namespace dijk
