// The resets the inline bridge sends to stop a blocked upload: each must be accepted by the end it goes
// to, so its sequence numbers, addresses, ports, checksums and Ethernet/VLAN framing are checked here by
// reading the RST back with the same decoder the wire path uses, and by verifying the checksums afresh.
#include "dataplane/ips/rst_frame.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/frame_bytes.h"

namespace dijk::ips {
namespace {

using test::Bytes;
using test::put16;
using test::put32;
std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

const Bytes kClientMac = {0x02, 0, 0, 0, 0, 0x0c};
const Bytes kServerMac = {0x02, 0, 0, 0, 0, 0x05};

// Client (10.0.0.1:40000 / fd00::1) to server (10.0.0.2:80 / fd00::2), optionally behind VLAN tags.
Bytes ethernet(const std::vector<std::uint16_t>& vlans, std::uint16_t ether_type) {
  Bytes b = kServerMac;
  b.insert(b.end(), kClientMac.begin(), kClientMac.end());
  for (std::size_t i = 0; i < vlans.size(); ++i) {
    put16(b, i == 0 && vlans.size() == 2 ? 0x88a8 : 0x8100);
    put16(b, vlans[i]);
  }
  put16(b, ether_type);
  return b;
}

Bytes tcp(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, const std::string& data) {
  Bytes b;
  put16(b, 40000);
  put16(b, 80);
  put32(b, seq);
  put32(b, ack);
  b.push_back(0x80);  // 32-byte header: 12 bytes of options the RST must not copy
  b.push_back(flags);
  put16(b, 512);
  put32(b, 0);
  for (int i = 0; i < 12; ++i) b.push_back(1);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes ipv4(const Bytes& l4) {
  Bytes b = {0x46, 0};  // with 4 bytes of IP options, also not copied
  put16(b, static_cast<std::uint16_t>(24 + l4.size()));
  put16(b, 9);
  put16(b, 0x4000);
  b.push_back(57);
  b.push_back(6);
  put16(b, 0);
  b.insert(b.end(), {10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 1});
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes ipv6(const Bytes& l4) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<std::uint16_t>(l4.size()));
  b.push_back(6);
  b.push_back(64);
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(i == 15 ? 1 : (i == 0 ? 0xfd : 0)));
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(i == 15 ? 2 : (i == 0 ? 0xfd : 0)));
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes frame(const std::vector<std::uint16_t>& vlans, bool v6, const Bytes& l4) {
  Bytes b = ethernet(vlans, v6 ? 0x86dd : 0x0800);
  const Bytes ip = v6 ? ipv6(l4) : ipv4(l4);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

struct Built {
  Bytes bytes;
  wire::DecodedFrame decoded;  // the RST read back
};

Built build(const Bytes& f, RstTo to) {
  wire::DecodeCounters counters;
  const wire::DecodedFrame d = wire::decode_frame(f, 0, counters);
  EXPECT_EQ(d.status, wire::DecodeStatus::tcp);
  std::array<std::uint8_t, kMaxRstFrame> out{};
  const std::size_t n = build_rst(f, d, to, out);
  Built b{Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)), {}};
  wire::DecodeCounters again;
  b.decoded = wire::decode_frame(b.bytes, 0, again);
  return b;
}

// The TCP checksum verifies: over the pseudo-header and the segment, the sum folds to 0xffff.
void expect_checksums(const Built& b, bool v6) {
  const std::size_t l2 = b.decoded.l2_len;
  const std::uint8_t* ip = b.bytes.data() + l2;
  const std::size_t ip_len = v6 ? 40 : 20;
  const std::size_t addr = v6 ? 16 : 4;
  const std::uint8_t* src = ip + (v6 ? 8 : 12);
  if (!v6) {
    EXPECT_EQ(checksum_fold(checksum_add(0, {ip, 20})), 0xffff) << "IPv4 header checksum";
    EXPECT_EQ(get16(ip + 2), 40) << "IPv4 total length";
  } else {
    EXPECT_EQ(get16(ip + 4), 20) << "IPv6 payload length";
  }
  std::uint32_t sum = checksum_add(0, {src, 2 * addr});
  sum += 6 + 20;
  sum = checksum_add(sum, {ip + ip_len, 20});
  EXPECT_EQ(checksum_fold(sum), 0xffff) << "TCP checksum";
}

class RstFrame : public ::testing::TestWithParam<bool> {};  // IPv6?

TEST_P(RstFrame, ToTheReceiverCarriesTheDroppedSegmentsSequenceNumber) {
  const bool v6 = GetParam();
  const Bytes f = frame({}, v6, tcp(1000, 5000, tcp_flags::ack | tcp_flags::psh, "end of the body"));
  const Built b = build(f, RstTo::receiver);
  ASSERT_EQ(b.decoded.status, wire::DecodeStatus::tcp);
  const TcpSegment& s = b.decoded.segment;
  EXPECT_EQ(s.tuple.src_port, 40000);
  EXPECT_EQ(s.tuple.dst_port, 80);
  EXPECT_EQ(s.tuple.src.bytes[15], 1);  // as if from the client
  EXPECT_EQ(s.tuple.dst.bytes[15], 2);
  EXPECT_EQ(s.seq, 1000u);  // what the server expects next: exactly, or it is ignored (RFC 5961)
  EXPECT_EQ(s.ack, 5000u);
  EXPECT_EQ(s.flags, tcp_flags::rst | tcp_flags::ack);
  EXPECT_TRUE(s.payload.empty());
  EXPECT_EQ(Bytes(b.bytes.begin(), b.bytes.begin() + 6), kServerMac);  // same way as the frame
  EXPECT_EQ(Bytes(b.bytes.begin() + 6, b.bytes.begin() + 12), kClientMac);
  expect_checksums(b, v6);
}

TEST_P(RstFrame, ToTheSenderAcksTheDroppedSegmentFromTheOtherEnd) {
  const bool v6 = GetParam();
  const Bytes f = frame({}, v6, tcp(1000, 5000, tcp_flags::ack | tcp_flags::fin, "last bytes"));
  const Built b = build(f, RstTo::sender);
  ASSERT_EQ(b.decoded.status, wire::DecodeStatus::tcp);
  const TcpSegment& s = b.decoded.segment;
  EXPECT_EQ(s.tuple.src_port, 80);  // as if from the server
  EXPECT_EQ(s.tuple.dst_port, 40000);
  EXPECT_EQ(s.tuple.src.bytes[15], 2);
  EXPECT_EQ(s.tuple.dst.bytes[15], 1);
  EXPECT_EQ(s.seq, 5000u);             // what the client acknowledged: its next byte from the server
  EXPECT_EQ(s.ack, 1000u + 10u + 1u);  // the dropped payload and its FIN
  EXPECT_EQ(s.flags, tcp_flags::rst | tcp_flags::ack);
  EXPECT_EQ(Bytes(b.bytes.begin(), b.bytes.begin() + 6), kClientMac);  // addresses swapped
  EXPECT_EQ(Bytes(b.bytes.begin() + 6, b.bytes.begin() + 12), kServerMac);
  expect_checksums(b, v6);
}

INSTANTIATE_TEST_SUITE_P(Ipv4AndIpv6, RstFrame, ::testing::Bool());

TEST(RstFrameVlan, KeepsBothTagsOnBothResets) {
  const Bytes f = frame({100, 200}, false, tcp(7, 9, tcp_flags::ack, "x"));
  for (const RstTo to : {RstTo::receiver, RstTo::sender}) {
    const Built b = build(f, to);
    ASSERT_EQ(b.decoded.status, wire::DecodeStatus::tcp);
    EXPECT_EQ(b.decoded.l2_len, 22);
    EXPECT_EQ(Bytes(b.bytes.begin() + 12, b.bytes.begin() + 22), Bytes(f.begin() + 12, f.begin() + 22));
    expect_checksums(b, false);
  }
}

TEST(RstFrameSizes, ShortResetsArePaddedToTheEthernetMinimum) {
  const Built b = build(frame({}, false, tcp(1, 2, tcp_flags::ack, "")), RstTo::receiver);
  EXPECT_EQ(b.bytes.size(), kMinEthernetFrame);  // 14 + 20 + 20 = 54, padded
  const Built v6 = build(frame({}, true, tcp(1, 2, tcp_flags::ack, "")), RstTo::receiver);
  EXPECT_EQ(v6.bytes.size(), 14u + 40u + 20u);
}

TEST(RstFrameSyn, ABareSynIsAnsweredWithSequenceZeroAndAckedToTheReceiverWithoutAck) {
  const Bytes f = frame({}, false, tcp(4242, 0, tcp_flags::syn, ""));
  const Built to_sender = build(f, RstTo::sender);
  EXPECT_EQ(to_sender.decoded.segment.seq, 0u);
  EXPECT_EQ(to_sender.decoded.segment.ack, 4243u);
  const Built to_receiver = build(f, RstTo::receiver);
  EXPECT_EQ(to_receiver.decoded.segment.seq, 4242u);
  EXPECT_EQ(to_receiver.decoded.segment.flags, tcp_flags::rst);  // no ACK to give
}

TEST(RstFrameRefusal, NothingIsBuiltForAFrameThatIsNotATcpSegment) {
  wire::DecodedFrame dropped;  // status dropped
  const Bytes f = frame({}, false, tcp(1, 2, tcp_flags::ack, "x"));
  std::array<std::uint8_t, kMaxRstFrame> out{};
  EXPECT_EQ(build_rst(f, dropped, RstTo::receiver, out), 0u);
  std::array<std::uint8_t, 10> small{};
  wire::DecodeCounters c;
  EXPECT_EQ(build_rst(f, wire::decode_frame(f, 0, c), RstTo::receiver, small), 0u);
}

}  // namespace
}  // namespace dijk::ips
