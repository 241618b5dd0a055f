#include "dataplane/dpdk/ip_reassembly.h"

#include "dataplane/dpdk/dpdk_compat.h"
#include "dataplane/dpdk/eal.h"

namespace dijk::dpdk {
namespace {
constexpr std::uint32_t kBucketEntries = 16;
}

IpReassembly::IpReassembly(unsigned socket, std::uint32_t max_datagrams, std::uint32_t timeout_ms) {
  const std::uint64_t max_cycles = (rte_get_tsc_hz() + 999) / 1000 * timeout_ms;
  const std::uint32_t buckets = (max_datagrams + kBucketEntries - 1) / kBucketEntries;
  table_ =
      rte_ip_frag_table_create(buckets, kBucketEntries, max_datagrams, max_cycles, static_cast<int>(socket));
  if (table_ == nullptr) throw DpdkError(dpdk_error_text("rte_ip_frag_table_create", rte_errno));
  death_row_ = static_cast<rte_ip_frag_death_row*>(
      rte_zmalloc_socket("dijk_death_row", sizeof(rte_ip_frag_death_row), 0, static_cast<int>(socket)));
  if (death_row_ == nullptr) {
    rte_ip_frag_table_destroy(table_);
    throw DpdkError("out of memory for the fragment death row");
  }
}

IpReassembly::~IpReassembly() {
  collect();
  rte_ip_frag_table_destroy(table_);
  rte_free(death_row_);
}

rte_mbuf* IpReassembly::add(rte_mbuf* fragment, std::uint64_t now_tsc, bool ipv6) {
  ++counters_.fragments;
  std::uint8_t* l3 = mbuf_bytes_mut(fragment) + fragment->l2_len;
  rte_mbuf* whole = nullptr;
  if (ipv6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    auto* frag = reinterpret_cast<rte_ipv6_fragment_ext*>(l3 + sizeof(rte_ipv6_hdr));
    whole = rte_ipv6_frag_reassemble_packet(table_, death_row_, fragment, now_tsc, ip, frag);
  } else {
    whole = rte_ipv4_frag_reassemble_packet(table_, death_row_, fragment, now_tsc,
                                            reinterpret_cast<rte_ipv4_hdr*>(l3));
  }
  if (whole != nullptr) ++counters_.datagrams;
  return whole;
}

void IpReassembly::collect() {
  counters_.freed += death_row_->cnt;
  rte_ip_frag_free_death_row(death_row_, 0);
}

}  // namespace dijk::dpdk
