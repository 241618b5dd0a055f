// HTTP detection from a side's first bytes: RequestLineDetector (one side's bytes) and HttpFlowDetection
// (which side of a flow spoke first and whether it is an HTTP client).
#include "dataplane/http/request_line_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/http_flow_detection.h"

namespace dijk {
namespace {

using Verdict = RequestLineDetector::Verdict;

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Verdict detect(std::string_view s) {
  RequestLineDetector d;
  return d.feed(bytes(s));
}

// Fed one byte a call: the verdict of each prefix, and the number of bytes it took.
struct ByteByByte {
  Verdict verdict = Verdict::undecided;
  std::size_t undecided_calls = 0;
};
ByteByByte byte_by_byte(std::string_view s) {
  RequestLineDetector d;
  ByteByByte r;
  for (char c : s) {
    r.verdict = d.feed(bytes(std::string_view(&c, 1)));
    if (r.verdict != Verdict::undecided) break;
    ++r.undecided_calls;
  }
  return r;
}

TEST(RequestLineDetector, RequestLinesOfEveryCommonMethod) {
  for (const char* line :
       {"GET / HTTP/1.1\r\n", "POST /upload.php HTTP/1.1\r\n", "PUT /f/a.jpg HTTP/1.0\r\n",
        "PATCH /x HTTP/1.1\r\n", "DELETE /x HTTP/1.1\r\n", "HEAD /x HTTP/1.1\r\n", "OPTIONS * HTTP/1.1\r\n",
        "CONNECT example.org:443 HTTP/1.1\r\n", "PROPFIND /dav/ HTTP/1.1\r\n", "MKCOL /dav/new/ HTTP/1.1\r\n",
        "GET http://proxy.example/a?b=c HTTP/1.1\r\n", "POST /%C3%A9t%C3%A9 HTTP/1.1\r\n"}) {
    EXPECT_EQ(detect(line), Verdict::request) << line;
  }
}

TEST(RequestLineDetector, BareLfEndsTheLineAndBlankLinesMayComeFirst) {
  EXPECT_EQ(detect("GET / HTTP/1.1\n"), Verdict::request);
  EXPECT_EQ(detect("\r\n\r\nPOST /a HTTP/1.1\r\n"), Verdict::request);
  // Raw UTF-8 in the target is taken, as the HTTP parser behind takes it.
  EXPECT_EQ(detect("GET /caf\xc3\xa9 HTTP/1.1\r\n"), Verdict::request);
}

TEST(RequestLineDetector, DecidesAtTheEndOfTheLineAndIgnoresWhatFollows) {
  const std::string request = "POST /u HTTP/1.1\r\nHost: h\r\n\r\n\x16\x03\x01";
  RequestLineDetector d;
  EXPECT_EQ(d.feed(bytes(request)), Verdict::request);
  EXPECT_EQ(d.seen(), std::string_view("POST /u HTTP/1.1\r\n").size());
  EXPECT_EQ(d.feed(bytes("garbage")), Verdict::request);  // decided once and for all
}

TEST(RequestLineDetector, PartialLineArrivingByteByByteStaysUndecidedUntilItsEnd) {
  const std::string line = "PUT /photos/a.jpg HTTP/1.1\r\n";
  const auto r = byte_by_byte(line);
  EXPECT_EQ(r.verdict, Verdict::request);
  EXPECT_EQ(r.undecided_calls, line.size() - 1);  // every prefix was undecided, the LF decided
  RequestLineDetector d;
  EXPECT_EQ(d.feed(bytes("PUT /photos/a.jpg HTT")), Verdict::undecided);
  EXPECT_EQ(d.feed(bytes("P/1.1\r")), Verdict::undecided);
  EXPECT_EQ(d.feed(bytes("\n")), Verdict::request);
}

TEST(RequestLineDetector, TlsClientHelloIsRejectedAtItsFirstByte) {
  const std::vector<std::uint8_t> hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
  RequestLineDetector d;
  EXPECT_EQ(d.feed(hello), Verdict::not_request);
  EXPECT_EQ(d.seen(), 1u);
}

TEST(RequestLineDetector, SshBannerIsRejectedWithinTwoBytes) {
  // 'S' may begin SEARCH; "SS" begins nothing.
  RequestLineDetector d;
  EXPECT_EQ(d.feed(bytes("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")), Verdict::not_request);
  EXPECT_EQ(d.seen(), 2u);
  EXPECT_EQ(byte_by_byte("SSH-2.0-OpenSSH_9.2p1\r\n").undecided_calls, 1u);
}

TEST(RequestLineDetector, BinaryGarbageIsRejectedAtOnce) {
  const std::vector<std::uint8_t> junk = {0x00, 0x00, 0x00, 0x2c, 0xff, 0x53, 0x4d, 0x42};
  RequestLineDetector d;
  EXPECT_EQ(d.feed(junk), Verdict::not_request);
  EXPECT_EQ(d.seen(), 1u);
  for (int first = 0; first < 256; ++first) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(first), 0x01};
    RequestLineDetector e;
    EXPECT_EQ(e.feed(b), Verdict::not_request) << first;  // no method is followed by a control byte
    EXPECT_LE(e.seen(), 2u) << first;
  }
}

TEST(RequestLineDetector, ResponseLineFirstIsNotARequest) {
  RequestLineDetector d;
  EXPECT_EQ(d.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), Verdict::not_request);
  EXPECT_EQ(d.seen(), 2u);  // 'H' may begin HEAD; "HT" begins nothing
}

TEST(RequestLineDetector, OverlongLineIsRejectedAtTheCap) {
  std::string line = "GET /" + std::string(RequestLineDetector::kMaxLine, 'a');
  RequestLineDetector d;
  EXPECT_EQ(d.feed(bytes(line)), Verdict::not_request);
  EXPECT_EQ(d.seen(), RequestLineDetector::kMaxLine);
  // The same cap holds when the line comes in pieces, and for blank lines before a request line.
  RequestLineDetector pieces;
  Verdict v = Verdict::undecided;
  for (std::size_t off = 0; off < line.size() && v == Verdict::undecided; off += 100)
    v = pieces.feed(bytes(std::string_view(line).substr(off, 100)));
  EXPECT_EQ(v, Verdict::not_request);
  EXPECT_EQ(detect(std::string(RequestLineDetector::kMaxLine, '\n') + "GET / HTTP/1.1\r\n"),
            Verdict::not_request);
  // A line of exactly the cap is still a request.
  const std::string longest =
      "GET /" + std::string(RequestLineDetector::kMaxLine - 16, 'b') + " HTTP/1.1\r\n";
  ASSERT_EQ(longest.size(), RequestLineDetector::kMaxLine);
  EXPECT_EQ(detect(longest), Verdict::request);
}

TEST(RequestLineDetector, NearMissesAreNotRequests) {
  for (const char* line : {
           "get / HTTP/1.1\r\n",        // methods are case-sensitive
           "FETCH / HTTP/1.1\r\n",      // not a known method
           "GETS / HTTP/1.1\r\n",       // a known method's prefix only
           "GE / HTTP/1.1\r\n",         // ... or a prefix of one
           "GET  / HTTP/1.1\r\n",       // two spaces
           "GET / HTTP/1.1 \r\n",       // a space before the end
           "GET /\r\n",                 // HTTP/0.9: no version (and no uploads)
           "GET / HTTP/2.0\r\n",        // not HTTP/1.x
           "PRI * HTTP/2.0\r\n\r\nSM",  // the HTTP/2 preface
           "GET / HTTP/1.2\r\n",        // no such version
           "GET / http/1.1\r\n",        // the version is case-sensitive
           "GET /a\tb HTTP/1.1\r\n",    // control byte in the target
           "GET / HTTP/1.1\r\r\n",      // CR not followed by LF
           " GET / HTTP/1.1\r\n",       // leading space
       }) {
    EXPECT_EQ(detect(line), Verdict::not_request) << line;
  }
}

TEST(RequestLineDetector, AnUnfinishedLineIsUndecided) {
  EXPECT_EQ(detect(""), Verdict::undecided);
  EXPECT_EQ(detect("\r\n"), Verdict::undecided);
  EXPECT_EQ(detect("P"), Verdict::undecided);
  EXPECT_EQ(detect("POST"), Verdict::undecided);
  EXPECT_EQ(detect("POST /x HTTP/1."), Verdict::undecided);
}

using Outcome = HttpFlowDetection::Outcome;
constexpr Direction kC2s = Direction::client_to_server;
constexpr Direction kS2c = Direction::server_to_client;

TEST(HttpFlowDetection, TheFirstSideToSendARequestLineIsTheClient) {
  HttpFlowDetection d;
  EXPECT_EQ(d.data(kS2c, bytes("POST /a HTTP/1.1\r\nHost: h\r\n")), Outcome::http);
  EXPECT_EQ(d.client(), kS2c);
  EXPECT_TRUE(d.held().empty());  // decided in one call: nothing was copied
}

TEST(HttpFlowDetection, AnUnfinishedLineIsHeldUntilItEnds) {
  HttpFlowDetection d;
  EXPECT_EQ(d.data(kC2s, bytes("POST /a H")), Outcome::undecided);
  EXPECT_EQ(d.data(kC2s, bytes("TTP/1")), Outcome::undecided);
  EXPECT_EQ(d.data(kS2c, bytes("hello")), Outcome::undecided);  // the other side is counted, not kept
  EXPECT_EQ(d.data(kC2s, bytes(".1\r\nHost: h\r\n")), Outcome::http);
  EXPECT_EQ(std::string(d.held().begin(), d.held().end()), "POST /a HTTP/1");
  EXPECT_EQ(d.other_side_bytes(), 5u);
  d.release();
  EXPECT_TRUE(d.held().empty());
}

TEST(HttpFlowDetection, ServerSpeakingFirstIsNotHttp) {
  HttpFlowDetection d;
  EXPECT_EQ(d.data(kS2c, bytes("220 mail.example ESMTP\r\n")), Outcome::not_http);
  EXPECT_EQ(d.data(kC2s, bytes("GET / HTTP/1.1\r\n")), Outcome::not_http);  // decided
}

TEST(HttpFlowDetection, LostFirstBytesAreNotHttp) {
  HttpFlowDetection d;
  EXPECT_EQ(d.gap(kC2s, 100), Outcome::not_http);
  HttpFlowDetection e;
  EXPECT_EQ(e.data(kC2s, bytes("POST /a")), Outcome::undecided);
  EXPECT_EQ(e.gap(kS2c, 10), Outcome::undecided);  // the other side's loss does not matter
  EXPECT_EQ(e.gap(kC2s, 10), Outcome::not_http);
  EXPECT_TRUE(e.held().empty());
}

}  // namespace
}  // namespace dijk
