#pragma once
// The connections one worker has blocked, so that their later frames are dropped (and answered with
// resets) too: a retransmission of the dropped segment, or the client's next try on the same connection
// if a reset was lost, must not reach the server either. Bounded and allocation-free: a full table
// forgets the entry closest to expiry. Owned by one worker lcore.
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/flow_tuple.h"

namespace dijk::ips {

class BlockedFlows {
 public:
  static constexpr std::size_t kCapacity = 256;
  // How long a blocked connection's frames keep being dropped: longer than TCP retransmits for.
  static constexpr std::uint64_t kDefaultHold_ns = 120'000'000'000ull;

  explicit BlockedFlows(std::uint64_t hold_ns = kDefaultHold_ns) : hold_ns_(hold_ns) {}

  // `flow` in either orientation; blocking a flow again extends its hold.
  void add(const FlowTuple& flow, std::uint64_t now_ns);
  // Whether a frame of `flow` (either orientation) belongs to a connection blocked and not yet expired.
  bool contains(const FlowTuple& flow, std::uint64_t now_ns) const;
  // Forgets expired entries: empty() is the worker's one-branch fast path.
  void expire(std::uint64_t now_ns);
  bool empty() const { return size_ == 0; }
  // Whether two tuples are the same connection, in either orientation.
  static bool same_connection(const FlowTuple& a, const FlowTuple& b) { return key_of(a) == key_of(b); }
  std::size_t size() const { return size_; }

 private:
  struct Entry {
    FlowTuple key;  // oriented one fixed way, so both directions find it
    std::uint64_t until_ns = 0;
  };
  static FlowTuple key_of(const FlowTuple& flow);

  std::uint64_t hold_ns_;
  std::array<Entry, kCapacity> entries_{};
  std::size_t size_ = 0;
};

}  // namespace dijk::ips
