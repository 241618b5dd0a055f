#include "dataplane/ips/rst_frame.h"

#include <algorithm>
#include <cstring>

namespace dijk::ips {
namespace {

constexpr std::size_t kMacBytes = 6;
constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kTcpHeader = 20;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kTtl = 64;

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}

// The addresses of the IP header at `ip`: source and destination, `len` bytes each.
struct Addresses {
  const std::uint8_t* src;
  const std::uint8_t* dst;
  std::size_t len;
};

}  // namespace

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);
  return sum;
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::size_t build_rst(std::span<const std::uint8_t> frame, const wire::DecodedFrame& decoded, RstTo to,
                      std::span<std::uint8_t> out) {
  if (decoded.status != wire::DecodeStatus::tcp || out.size() < kMaxRstFrame) return 0;
  const std::size_t l2 = decoded.l2_len;
  if (l2 < 2 * kMacBytes + 2 || l2 + kIpv4Header > frame.size() ||
      l2 + kIpv6Header + kTcpHeader > kMaxRstFrame)
    return 0;
  const std::uint8_t version = frame[l2] >> 4;
  const bool v6 = version == 6;
  if (!v6 && version != 4) return 0;
  const std::size_t ip_len = v6 ? kIpv6Header : kIpv4Header;
  if (l2 + ip_len > frame.size()) return 0;
  const std::uint8_t* ip = frame.data() + l2;
  Addresses a = v6 ? Addresses{ip + 8, ip + 24, 16} : Addresses{ip + 12, ip + 16, 4};
  const TcpSegment& s = decoded.segment;
  const bool to_sender = to == RstTo::sender;

  std::fill(out.begin(), out.begin() + kMaxRstFrame, std::uint8_t{0});
  std::uint8_t* o = out.data();
  // Ethernet and VLAN tags as received; towards the sender the MAC addresses trade places.
  std::memcpy(o, frame.data(), l2);
  if (to_sender) {
    std::memcpy(o, frame.data() + kMacBytes, kMacBytes);
    std::memcpy(o + kMacBytes, frame.data(), kMacBytes);
  }
  // The last EtherType names the IP version already; a fresh IP header without options follows.
  std::uint8_t* oip = o + l2;
  const Addresses from = to_sender ? Addresses{a.dst, a.src, a.len} : a;
  if (v6) {
    oip[0] = 0x60;
    put16(oip + 4, static_cast<std::uint16_t>(kTcpHeader));
    oip[6] = kProtoTcp;
    oip[7] = kTtl;
    std::memcpy(oip + 8, from.src, 16);
    std::memcpy(oip + 24, from.dst, 16);
  } else {
    oip[0] = 0x45;
    put16(oip + 2, static_cast<std::uint16_t>(kIpv4Header + kTcpHeader));
    put16(oip + 6, 0x4000);  // don't fragment
    oip[8] = kTtl;
    oip[9] = kProtoTcp;
    std::memcpy(oip + 12, from.src, 4);
    std::memcpy(oip + 16, from.dst, 4);
    put16(oip + 10, static_cast<std::uint16_t>(~checksum_fold(checksum_add(0, {oip, kIpv4Header}))));
  }

  std::uint8_t* tcp = oip + ip_len;
  const bool acked = (s.flags & tcp_flags::ack) != 0;
  // Sequence space the dropped segment takes: its payload, and one each for SYN and FIN.
  const auto end_of_segment =
      static_cast<std::uint32_t>(s.seq + s.payload.size() + ((s.flags & tcp_flags::syn) != 0 ? 1 : 0) +
                                 ((s.flags & tcp_flags::fin) != 0 ? 1 : 0));
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = tcp_flags::rst;
  if (to_sender) {
    put16(tcp, s.tuple.dst_port);
    put16(tcp + 2, s.tuple.src_port);
    seq = acked ? s.ack : 0;  // a segment without ACK (a bare SYN) is answered as RFC 793 says: seq 0
    ack = end_of_segment;
    flags |= tcp_flags::ack;
  } else {
    put16(tcp, s.tuple.src_port);
    put16(tcp + 2, s.tuple.dst_port);
    seq = s.seq;
    if (acked) {
      ack = s.ack;
      flags |= tcp_flags::ack;
    }
  }
  put32(tcp + 4, seq);
  put32(tcp + 8, ack);
  tcp[12] = static_cast<std::uint8_t>((kTcpHeader / 4) << 4);
  tcp[13] = flags;
  // Window 0, urgent pointer 0. The checksum covers the pseudo-header: addresses, protocol, TCP length.
  std::uint32_t sum = checksum_add(0, {from.src, from.len});
  sum = checksum_add(sum, {from.dst, from.len});
  sum += kProtoTcp + kTcpHeader;
  sum = checksum_add(sum, {tcp, kTcpHeader});
  put16(tcp + 16, static_cast<std::uint16_t>(~checksum_fold(sum)));
  return std::max(l2 + ip_len + kTcpHeader, kMinEthernetFrame);
}

}  // namespace dijk::ips
