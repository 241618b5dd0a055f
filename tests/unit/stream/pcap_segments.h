#pragma once
// Tests only: reads a pcap file (libpcap) and decodes Ethernet / IPv4 / IPv6 / TCP into owned segments,
// the hand-off the DPDK decoder makes in production. No VLANs, IPv6 extension headers or fragments: the
// captures under tests/data/stream do not have them.
#include <pcap/pcap.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/tcp_script.h"

namespace dijk::test {

inline std::vector<OwnedSegment> read_pcap_segments(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) throw std::runtime_error(err);
  if (pcap_datalink(p) != DLT_EN10MB) {
    pcap_close(p);
    throw std::runtime_error("not an Ethernet capture");
  }
  std::vector<OwnedSegment> out;
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  auto be16 = [](const u_char* b) { return static_cast<std::uint16_t>(b[0] << 8 | b[1]); };
  auto be32 = [](const u_char* b) {
    return static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
           static_cast<std::uint32_t>(b[2]) << 8 | b[3];
  };
  while (pcap_next_ex(p, &h, &d) == 1) {
    const std::size_t n = h->caplen;
    if (n < 14) continue;
    const std::uint16_t type = be16(d + 12);
    const std::size_t off = 14;
    std::size_t l4 = 0, end = n;
    OwnedSegment s;
    std::uint8_t proto = 0;
    if (type == 0x0800 && n >= off + 20) {
      const std::size_t ihl = (d[off] & 0x0fu) * 4u;
      proto = d[off + 9];
      end = std::min(n, off + be16(d + off + 2));
      s.tuple.src = ipv4(be32(d + off + 12));
      s.tuple.dst = ipv4(be32(d + off + 16));
      l4 = off + ihl;
    } else if (type == 0x86dd && n >= off + 40) {
      proto = d[off + 6];
      end = std::min(n, off + 40 + be16(d + off + 4));
      std::copy_n(d + off + 8, 16, s.tuple.src.bytes.begin());
      std::copy_n(d + off + 24, 16, s.tuple.dst.bytes.begin());
      l4 = off + 40;
    } else {
      continue;
    }
    if (proto != 6 || end < l4 + 20) continue;
    const std::size_t doff = (d[l4 + 12] >> 4) * 4u;
    if (end < l4 + doff) continue;
    s.tuple.src_port = be16(d + l4);
    s.tuple.dst_port = be16(d + l4 + 2);
    s.seq = be32(d + l4 + 4);
    s.ack = be32(d + l4 + 8);
    s.flags = d[l4 + 13];
    s.time_ns = static_cast<std::uint64_t>(h->ts.tv_sec) * 1'000'000'000ull +
                static_cast<std::uint64_t>(h->ts.tv_usec) * 1000ull;
    s.payload.assign(d + l4 + doff, d + end);
    out.push_back(std::move(s));
  }
  pcap_close(p);
  return out;
}

}  // namespace dijk::test
