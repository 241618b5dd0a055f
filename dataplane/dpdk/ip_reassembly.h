#pragma once
// IPv4 and IPv6 fragment reassembly for one worker lcore, on rte_ip_frag. Fragments of one datagram reach the
// same lcore because RSS hashes IPv4 fragments on addresses only (no ports in non-first fragments).
#include <cstdint>

struct rte_mbuf;
struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

namespace dijk::dpdk {

struct ReassemblyCounters {
  std::uint64_t fragments = 0;
  std::uint64_t datagrams = 0;  // rebuilt
  std::uint64_t freed = 0;      // fragments given up on (timeout, table full, bad overlap)
};

class IpReassembly {
 public:
  // Up to `max_datagrams` in flight, each kept at most `timeout_ms`.
  IpReassembly(unsigned socket, std::uint32_t max_datagrams, std::uint32_t timeout_ms);
  ~IpReassembly();
  IpReassembly(const IpReassembly&) = delete;
  IpReassembly& operator=(const IpReassembly&) = delete;

  // Takes ownership of `fragment` (with l2_len and l3_len set). Returns the rebuilt datagram (an mbuf
  // chain, headers of the first fragment in front) once complete, or nullptr.
  // IPv6: the fragment header follows the fixed header (l3_len = 48).
  rte_mbuf* add(rte_mbuf* fragment, std::uint64_t now_tsc, bool ipv6 = false);
  // Frees the mbufs of datagrams the table gave up on. Call once per loop.
  void collect();

  const ReassemblyCounters& counters() const { return counters_; }

 private:
  rte_ip_frag_tbl* table_ = nullptr;
  rte_ip_frag_death_row* death_row_ = nullptr;
  ReassemblyCounters counters_;
};

}  // namespace dijk::dpdk
