#pragma once
// The only place our code includes DPDK headers from. DPDK's inline functions and macros trip our
// warnings (old-style casts, sign conversions), so this header is marked as a system header and wraps
// the macros we use in small functions whose bodies expand here, not in our code.
#pragma GCC system_header

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_ip_frag.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include <cstdint>
#include <vector>

namespace dijk::dpdk {

inline const std::uint8_t* mbuf_bytes(const rte_mbuf* m) {
  return rte_pktmbuf_mtod(m, const std::uint8_t*);
}
inline std::uint8_t* mbuf_bytes_mut(rte_mbuf* m) {
  return rte_pktmbuf_mtod(m, std::uint8_t*);
}

inline std::uint64_t mbuf_u64_field(const rte_mbuf* m, int offset) {
  return *RTE_MBUF_DYNFIELD(m, offset, const std::uint64_t*);
}

// Header lengths the reassembly library reads (bit fields in rte_mbuf).
inline void set_header_lengths(rte_mbuf* m, std::uint16_t l2_len, std::uint16_t l3_len) {
  m->l2_len = l2_len;
  m->l3_len = l3_len;
}

inline std::vector<std::uint16_t> all_ports() {
  std::vector<std::uint16_t> ports;
  std::uint16_t p = 0;
  RTE_ETH_FOREACH_DEV(p) ports.push_back(p);
  return ports;
}

// Software Toeplitz over an IPv4 4-tuple (host byte order), as a NIC computes it with `key`.
inline std::uint32_t toeplitz_ipv4_tcp(std::uint32_t src, std::uint32_t dst, std::uint16_t sport,
                                       std::uint16_t dport, const std::uint8_t* key) {
  std::uint32_t tuple[3] = {src, dst, (static_cast<std::uint32_t>(sport) << 16) | dport};
  return rte_softrss(tuple, 3, key);
}

inline unsigned next_worker_lcore(unsigned after) {
  return rte_get_next_lcore(after, 1, 0);
}

}  // namespace dijk::dpdk
