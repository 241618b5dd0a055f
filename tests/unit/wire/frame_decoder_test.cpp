#include "dataplane/decode/frame_decoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/frame_bytes.h"

namespace dijk::wire {
namespace {

using test::Bytes;
using test::put16;
using test::put32;

Bytes ethernet(std::vector<std::uint16_t> tags, std::uint16_t ether_type) {
  Bytes b(12, 0x02);
  for (auto t : tags) {
    put16(b, t);
    put16(b, 100);
  }
  put16(b, ether_type);
  return b;
}

Bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
          const std::string& data, std::size_t options = 0) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, 77);
  b.push_back(static_cast<std::uint8_t>((5 + options / 4) << 4));
  b.push_back(flags);
  put16(b, 512);
  put32(b, 0);
  b.insert(b.end(), options, 1);  // NOPs
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes ipv4(const Bytes& l4, std::uint8_t proto = 6, std::uint16_t frag = 0x4000) {
  Bytes b = {0x45, 0};
  put16(b, static_cast<std::uint16_t>(20 + l4.size()));
  put16(b, 1);
  put16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  b.insert(b.end(), {10, 0, 0, 1, 10, 0, 0, 2});
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes ipv6(const Bytes& after, std::uint8_t next) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<std::uint16_t>(after.size()));
  b.push_back(next);
  b.push_back(64);
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(i == 15 ? 1 : (i == 0 ? 0xfd : 0)));
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(i == 15 ? 2 : (i == 0 ? 0xfd : 0)));
  b.insert(b.end(), after.begin(), after.end());
  return b;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string payload_of(const DecodedFrame& d) {
  return {d.segment.payload.begin(), d.segment.payload.end()};
}

TEST(FrameDecoder, Ipv4TcpGivesTupleSeqFlagsAndPayload) {
  DecodeCounters c;
  const Bytes f = cat(ethernet({}, kEtherTypeIpv4),
                      ipv4(tcp(40000, 80, 1000, tcp_flags::psh | tcp_flags::ack, "POST /")));
  const auto d = decode_frame(f, 42, c);
  ASSERT_EQ(d.status, DecodeStatus::tcp);
  EXPECT_EQ(d.segment.tuple.src_port, 40000);
  EXPECT_EQ(d.segment.tuple.dst_port, 80);
  EXPECT_EQ(d.segment.seq, 1000u);
  EXPECT_EQ(d.segment.ack, 77u);
  EXPECT_EQ(d.segment.flags, tcp_flags::psh | tcp_flags::ack);
  EXPECT_EQ(d.segment.time_ns, 42u);
  EXPECT_EQ(payload_of(d), "POST /");
  EXPECT_EQ(d.segment.tuple.src.bytes[10], 0xff);  // IPv4-mapped
  EXPECT_EQ(d.segment.tuple.src.bytes[15], 1);
  EXPECT_EQ(d.segment.tuple.dst.bytes[15], 2);
  EXPECT_EQ(c.frames, 1u);
  EXPECT_EQ(c.tcp_segments, 1u);
  EXPECT_EQ(c.total_drops(), 0u);
}

TEST(FrameDecoder, EthernetPaddingIsNotPayload) {
  DecodeCounters c;
  Bytes f = cat(ethernet({}, kEtherTypeIpv4), ipv4(tcp(1, 80, 0, tcp_flags::ack, "")));
  f.resize(60, 0);  // minimum frame size, padded
  const auto d = decode_frame(f, 0, c);
  ASSERT_EQ(d.status, DecodeStatus::tcp);
  EXPECT_TRUE(d.segment.payload.empty());
}

TEST(FrameDecoder, TcpOptionsAreSkipped) {
  DecodeCounters c;
  const Bytes f = cat(ethernet({}, kEtherTypeIpv4), ipv4(tcp(1, 80, 0, tcp_flags::ack, "abc", 12)));
  const auto d = decode_frame(f, 0, c);
  ASSERT_EQ(d.status, DecodeStatus::tcp);
  EXPECT_EQ(payload_of(d), "abc");
}

TEST(FrameDecoder, VlanAndQinQ) {
  DecodeCounters c;
  const Bytes l3 = ipv4(tcp(1, 80, 0, tcp_flags::ack, "x"));
  EXPECT_EQ(decode_frame(cat(ethernet({kEtherTypeVlan}, kEtherTypeIpv4), l3), 0, c).status,
            DecodeStatus::tcp);
  const auto qinq = decode_frame(cat(ethernet({kEtherTypeQinQ, kEtherTypeVlan}, kEtherTypeIpv4), l3), 0, c);
  EXPECT_EQ(qinq.status, DecodeStatus::tcp);
  EXPECT_EQ(qinq.l2_len, 22);
  EXPECT_EQ(c.vlan_frames, 2u);
  const auto deep =
      decode_frame(cat(ethernet({kEtherTypeQinQ, kEtherTypeVlan, kEtherTypeVlan}, kEtherTypeIpv4), l3), 0, c);
  EXPECT_EQ(deep.status, DecodeStatus::dropped);
  EXPECT_EQ(c.dropped(DecodeDrop::vlan_too_deep), 1u);
}

TEST(FrameDecoder, Ipv4FragmentsGoToReassemblyWithOffsets) {
  DecodeCounters c;
  const Bytes f =
      cat(ethernet({kEtherTypeVlan}, kEtherTypeIpv4), ipv4(tcp(1, 80, 0, 0, "abcdefgh"), 6, 0x2000));
  const auto d = decode_frame(f, 0, c);
  EXPECT_EQ(d.status, DecodeStatus::ipv4_fragment);
  EXPECT_EQ(d.l2_len, 18);
  EXPECT_EQ(d.l3_len, 20);
  EXPECT_EQ(c.ipv4_fragments, 1u);
  // A later fragment (offset != 0) too.
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), ipv4(Bytes(16, 0), 6, 3)), 0, c).status,
            DecodeStatus::ipv4_fragment);
}

TEST(FrameDecoder, Ipv6WithExtensionHeaders) {
  DecodeCounters c;
  const Bytes seg = tcp(5555, 8080, 9, tcp_flags::ack, "hello");
  // hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP
  Bytes ext = {60, 0, 1, 4, 0, 0, 0, 0};
  Bytes dst = {6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const Bytes f = cat(ethernet({}, kEtherTypeIpv6), ipv6(cat(cat(ext, dst), seg), 0));
  const auto d = decode_frame(f, 0, c);
  ASSERT_EQ(d.status, DecodeStatus::tcp);
  EXPECT_EQ(payload_of(d), "hello");
  EXPECT_EQ(d.segment.tuple.src.bytes[0], 0xfd);
  EXPECT_EQ(c.ipv6_packets, 1u);
}

TEST(FrameDecoder, Ipv6FragmentsGoToReassemblyAtomicFragmentsPass) {
  DecodeCounters c;
  const Bytes seg = tcp(1, 80, 0, tcp_flags::ack, "z");
  const Bytes atomic = {6, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv6), ipv6(cat(atomic, seg), 44)), 0, c).status,
            DecodeStatus::tcp);
  const Bytes first = {6, 0, 0, 1, 0, 0, 0, 1};  // M flag set
  const auto d = decode_frame(cat(ethernet({}, kEtherTypeIpv6), ipv6(cat(first, seg), 44)), 0, c);
  EXPECT_EQ(d.status, DecodeStatus::ipv6_fragment);
  EXPECT_EQ(d.l2_len, 14);
  EXPECT_EQ(d.l3_len, 48);
  EXPECT_EQ(c.ipv6_fragments, 1u);
  // Behind another extension header rte_ip_frag cannot take it: dropped and counted.
  const Bytes hop = {44, 0, 1, 4, 0, 0, 0, 0};
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv6), ipv6(cat(cat(hop, first), seg), 0)), 0, c).status,
            DecodeStatus::dropped);
  EXPECT_EQ(c.dropped(DecodeDrop::ipv6_fragment), 1u);
}

TEST(FrameDecoder, DropsAreCountedByReason) {
  DecodeCounters c;
  EXPECT_EQ(decode_frame(Bytes(10, 0), 0, c).reason, DecodeDrop::truncated_ethernet);
  EXPECT_EQ(decode_frame(ethernet({}, 0x0806), 0, c).reason, DecodeDrop::not_ip);
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), Bytes{0x45, 0}), 0, c).reason,
            DecodeDrop::truncated_ip);
  Bytes bad = ipv4(tcp(1, 2, 3, 0, ""));
  bad[0] = 0x43;  // IHL 3 words
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), bad), 0, c).reason, DecodeDrop::bad_ip_header);
  Bytes longer = ipv4(tcp(1, 2, 3, 0, ""));
  longer[3] = 200;  // total length beyond the frame
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), longer), 0, c).reason, DecodeDrop::truncated_ip);
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), ipv4(Bytes(8, 0), 17)), 0, c).reason,
            DecodeDrop::not_tcp);
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), ipv4(Bytes(12, 0))), 0, c).reason,
            DecodeDrop::truncated_tcp);
  Bytes doff = tcp(1, 2, 3, 0, "");
  doff[12] = 0xf0;  // 60-byte header in a 20-byte segment
  EXPECT_EQ(decode_frame(cat(ethernet({}, kEtherTypeIpv4), ipv4(doff)), 0, c).reason,
            DecodeDrop::bad_tcp_header);
  EXPECT_EQ(c.frames, 8u);
  EXPECT_EQ(c.total_drops(), 8u);
  EXPECT_EQ(c.dropped(DecodeDrop::truncated_ip), 2u);
}

TEST(FrameDecoder, ReassembledDatagramIsNotCountedTwice) {
  DecodeCounters c;
  const Bytes f = cat(ethernet({}, kEtherTypeIpv4), ipv4(tcp(1, 80, 0, 0, "whole")));
  const auto d = decode_frame(f, 0, c, /*reassembled=*/true);
  EXPECT_EQ(d.status, DecodeStatus::tcp);
  EXPECT_EQ(c.frames, 0u);
  EXPECT_EQ(c.ipv4_packets, 0u);
  EXPECT_EQ(c.tcp_segments, 1u);
}

}  // namespace
}  // namespace dijk::wire
