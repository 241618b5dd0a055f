// Framing and request parsing of the admin protocol, and the peer credential rule.
#include <gtest/gtest.h>

#include "config/admin/frame.h"
#include "config/admin/server.h"

namespace {

using dijk::admin::FrameDecoder;

TEST(AdminFrame, RoundTripsInArbitraryPieces) {
  const std::string stream = dijk::admin::encode_frame("{\"verb\":\"a\"}") + dijk::admin::encode_frame("") +
                             dijk::admin::encode_frame(std::string(70000, 'x'));
  FrameDecoder d;
  std::vector<std::string> got;
  std::string payload;
  for (std::size_t i = 0; i < stream.size(); i += 7) {
    d.feed(stream.data() + i, std::min<std::size_t>(7, stream.size() - i));
    while (d.next(payload) == FrameDecoder::Status::kFrame) got.push_back(payload);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "{\"verb\":\"a\"}");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2].size(), 70000u);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(AdminFrame, OversizedLengthRefusedBeforeBuffering) {
  FrameDecoder d;
  const char header[4] = {0x7f, 0x00, 0x00, 0x00};
  d.feed(header, 4);
  std::string payload;
  EXPECT_EQ(d.next(payload), FrameDecoder::Status::kError);
  EXPECT_EQ(d.error(), "frame of 2130706432 bytes is larger than the 1048576 allowed");
  EXPECT_EQ(d.buffered(), 0u);
  d.feed("more", 4);
  EXPECT_EQ(d.next(payload), FrameDecoder::Status::kError);
  EXPECT_THROW(dijk::admin::encode_frame(std::string(dijk::admin::kMaxFrameBytes + 1, 'x')),
               std::length_error);
}

TEST(AdminFrame, RequestParsing) {
  std::string why;
  auto r = dijk::admin::parse_request(R"({"verb":"hits","args":{"since":5}})", why);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->verb, "hits");
  EXPECT_EQ(r->args["since"], 5);
  EXPECT_TRUE(dijk::admin::parse_request(R"({"verb":"status"})", why)->args.is_object());
  EXPECT_FALSE(dijk::admin::parse_request("{", why));
  EXPECT_EQ(why, "request is not valid JSON");
  EXPECT_FALSE(dijk::admin::parse_request("[1]", why));
  EXPECT_EQ(why, "request must be a JSON object");
  EXPECT_FALSE(dijk::admin::parse_request(R"({"verb":3})", why));
  EXPECT_EQ(why, "request has no \"verb\" string");
  EXPECT_FALSE(dijk::admin::parse_request(R"({"verb":"x","args":[]})", why));
  EXPECT_EQ(why, "request \"args\" must be an object");
}

TEST(AdminAccess, RootOwnUserAndGroupMembersOnly) {
  using dijk::admin::PeerCredentials;
  const gid_t dijk_gid = 990;
  const uid_t daemon_uid = 991;
  EXPECT_TRUE(dijk::admin::peer_allowed(PeerCredentials{1, 0, 0, {}}, dijk_gid, daemon_uid));
  EXPECT_TRUE(dijk::admin::peer_allowed(PeerCredentials{1, daemon_uid, 5, {}}, dijk_gid, daemon_uid));
  EXPECT_TRUE(dijk::admin::peer_allowed(PeerCredentials{1, 1000, dijk_gid, {}}, dijk_gid, daemon_uid));
  EXPECT_TRUE(
      dijk::admin::peer_allowed(PeerCredentials{1, 1000, 1000, {27, dijk_gid}}, dijk_gid, daemon_uid));
  EXPECT_FALSE(dijk::admin::peer_allowed(PeerCredentials{1, 1000, 1000, {27, 100}}, dijk_gid, daemon_uid));
}

}  // namespace
