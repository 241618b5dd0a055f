#include "dataplane/ips/blocked_flows.h"

#include <tuple>

namespace dijk::ips {

FlowTuple BlockedFlows::key_of(const FlowTuple& f) {
  // The smaller (address, port) end first.
  if (std::tie(f.src.bytes, f.src_port) <= std::tie(f.dst.bytes, f.dst_port)) return f;
  return FlowTuple{f.dst, f.src, f.dst_port, f.src_port};
}

void BlockedFlows::add(const FlowTuple& flow, std::uint64_t now_ns) {
  const FlowTuple key = key_of(flow);
  const std::uint64_t until = now_ns + hold_ns_;
  for (std::size_t i = 0; i < size_; ++i) {
    if (entries_[i].key == key) {
      entries_[i].until_ns = until;
      return;
    }
  }
  if (size_ < kCapacity) {
    entries_[size_++] = Entry{key, until};
    return;
  }
  std::size_t soonest = 0;
  for (std::size_t i = 1; i < size_; ++i) {
    if (entries_[i].until_ns < entries_[soonest].until_ns) soonest = i;
  }
  entries_[soonest] = Entry{key, until};
}

bool BlockedFlows::contains(const FlowTuple& flow, std::uint64_t now_ns) const {
  const FlowTuple key = key_of(flow);
  for (std::size_t i = 0; i < size_; ++i) {
    if (entries_[i].key == key) return now_ns < entries_[i].until_ns;
  }
  return false;
}

void BlockedFlows::expire(std::uint64_t now_ns) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    if (now_ns < entries_[i].until_ns) entries_[kept++] = entries_[i];
  }
  size_ = kept;
}

}  // namespace dijk::ips
