#include "dataplane/decode/frame_decoder.h"

namespace dijk::wire {
namespace {

std::uint16_t load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

IpAddress ipv4_mapped(const std::uint8_t* p) {
  IpAddress a;
  a.bytes[10] = 0xff;
  a.bytes[11] = 0xff;
  for (std::size_t i = 0; i < 4; ++i) a.bytes[12 + i] = p[i];
  return a;
}

IpAddress ipv6(const std::uint8_t* p) {
  IpAddress a;
  for (std::size_t i = 0; i < 16; ++i) a.bytes[i] = p[i];
  return a;
}

DecodedFrame dropped(DecodeCounters& c, DecodeDrop r) {
  c.drop(r);
  DecodedFrame d;
  d.status = DecodeStatus::dropped;
  d.reason = r;
  return d;
}

// `l4` is the TCP header and everything after it, already trimmed to the IP payload length.
DecodedFrame decode_tcp(std::span<const std::uint8_t> l4, DecodedFrame d, DecodeCounters& c) {
  constexpr std::size_t kTcpMinHeader = 20;
  if (l4.size() < kTcpMinHeader) return dropped(c, DecodeDrop::truncated_tcp);
  const std::uint8_t* t = l4.data();
  const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(t[12] >> 4)} * 4;
  if (header_len < kTcpMinHeader || header_len > l4.size()) return dropped(c, DecodeDrop::bad_tcp_header);
  d.segment.tuple.src_port = load16(t);
  d.segment.tuple.dst_port = load16(t + 2);
  d.segment.seq = load32(t + 4);
  d.segment.ack = load32(t + 8);
  d.segment.flags = static_cast<std::uint8_t>(t[13] & 0x3f);
  d.segment.window = load16(t + 14);
  d.segment.payload = l4.subspan(header_len);
  d.status = DecodeStatus::tcp;
  ++c.tcp_segments;
  return d;
}

DecodedFrame decode_ipv4(std::span<const std::uint8_t> l3, DecodedFrame d, DecodeCounters& c,
                         bool reassembled) {
  constexpr std::size_t kIpv4MinHeader = 20;
  constexpr std::uint8_t kProtoTcp = 6;
  if (l3.size() < kIpv4MinHeader) return dropped(c, DecodeDrop::truncated_ip);
  const std::uint8_t* h = l3.data();
  const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(h[0] & 0x0f)} * 4;
  const std::size_t total_len = load16(h + 2);
  if ((h[0] >> 4) != 4 || header_len < kIpv4MinHeader || total_len < header_len)
    return dropped(c, DecodeDrop::bad_ip_header);
  if (total_len > l3.size()) return dropped(c, DecodeDrop::truncated_ip);
  if (!reassembled) ++c.ipv4_packets;  // the fragments were counted
  d.l3_len = static_cast<std::uint16_t>(header_len);
  const std::uint16_t frag = load16(h + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  const bool offset = (frag & 0x1fff) != 0;
  if (!reassembled && (more_fragments || offset)) {
    ++c.ipv4_fragments;
    d.status = DecodeStatus::ipv4_fragment;
    return d;
  }
  if (reassembled && (more_fragments || offset)) return dropped(c, DecodeDrop::ipv4_fragment_unreassembled);
  if (h[9] != kProtoTcp) return dropped(c, DecodeDrop::not_tcp);
  d.segment.tuple.src = ipv4_mapped(h + 12);
  d.segment.tuple.dst = ipv4_mapped(h + 16);
  // Ethernet pads short frames: the IP total length, not the frame, says where the segment ends.
  return decode_tcp(l3.subspan(header_len, total_len - header_len), d, c);
}

DecodedFrame decode_ipv6(std::span<const std::uint8_t> l3, DecodedFrame d, DecodeCounters& c,
                         bool reassembled) {
  constexpr std::size_t kIpv6Header = 40;
  if (l3.size() < kIpv6Header) return dropped(c, DecodeDrop::truncated_ip);
  const std::uint8_t* h = l3.data();
  if ((h[0] >> 4) != 6) return dropped(c, DecodeDrop::bad_ip_header);
  const std::size_t payload_len = load16(h + 4);
  if (payload_len == 0) return dropped(c, DecodeDrop::bad_ip_header);  // jumbograms are not carried here
  if (kIpv6Header + payload_len > l3.size()) return dropped(c, DecodeDrop::truncated_ip);
  if (!reassembled) ++c.ipv6_packets;  // the fragments were counted
  d.l3_len = kIpv6Header;
  d.segment.tuple.src = ipv6(h + 8);
  d.segment.tuple.dst = ipv6(h + 24);
  std::span<const std::uint8_t> rest = l3.subspan(kIpv6Header, payload_len);
  std::uint8_t next = h[6];
  for (std::size_t n = 0;; ++n) {
    switch (next) {
      case 6:
        return decode_tcp(rest, d, c);
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60:    // destination options
      case 51: {  // authentication header (length in 4-byte units, minus 2)
        if (n >= kMaxIpv6ExtensionHeaders || rest.size() < 8)
          return dropped(c, DecodeDrop::ipv6_ext_too_deep);
        const std::size_t len = next == 51 ? (std::size_t{rest[1]} + 2) * 4 : (std::size_t{rest[1]} + 1) * 8;
        if (len > rest.size()) return dropped(c, DecodeDrop::ipv6_ext_too_deep);
        next = rest[0];
        rest = rest.subspan(len);
        break;
      }
      case 44: {  // fragment header
        if (n >= kMaxIpv6ExtensionHeaders || rest.size() < 8)
          return dropped(c, DecodeDrop::ipv6_ext_too_deep);
        const std::uint16_t frag = load16(rest.data() + 2);
        // An "atomic fragment" (offset 0, no more fragments) carries the whole datagram.
        if ((frag & 0xfff9) != 0) {
          if (reassembled || n != 0) return dropped(c, DecodeDrop::ipv6_fragment);
          ++c.ipv6_fragments;
          d.l3_len = kIpv6Header + 8;
          d.status = DecodeStatus::ipv6_fragment;
          return d;
        }
        next = rest[0];
        rest = rest.subspan(8);
        break;
      }
      default:
        return dropped(c, DecodeDrop::not_tcp);
    }
  }
}

}  // namespace

DecodedFrame decode_frame(std::span<const std::uint8_t> frame, std::uint64_t time_ns,
                          DecodeCounters& counters, bool reassembled) {
  if (!reassembled) {
    ++counters.frames;
    counters.bytes += frame.size();
  }
  constexpr std::size_t kEthernetHeader = 14;
  if (frame.size() < kEthernetHeader) return dropped(counters, DecodeDrop::truncated_ethernet);
  std::size_t offset = 12;
  std::uint16_t ether_type = load16(frame.data() + offset);
  std::size_t tags = 0;
  while (ether_type == kEtherTypeVlan || ether_type == kEtherTypeQinQ) {
    if (++tags > kMaxVlanTags) return dropped(counters, DecodeDrop::vlan_too_deep);
    offset += 4;
    if (frame.size() < offset + 2) return dropped(counters, DecodeDrop::truncated_ethernet);
    ether_type = load16(frame.data() + offset);
  }
  if (tags > 0 && !reassembled) ++counters.vlan_frames;
  offset += 2;
  DecodedFrame d;
  d.l2_len = static_cast<std::uint16_t>(offset);
  d.segment.time_ns = time_ns;
  const auto l3 = frame.subspan(offset);
  switch (ether_type) {
    case kEtherTypeIpv4:
      return decode_ipv4(l3, d, counters, reassembled);
    case kEtherTypeIpv6:
      return decode_ipv6(l3, d, counters, reassembled);
    default:
      return dropped(counters, DecodeDrop::not_ip);
  }
}

}  // namespace dijk::wire
