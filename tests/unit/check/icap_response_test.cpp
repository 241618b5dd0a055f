// The answers Squid reads: their Encapsulated offsets must match the bytes that follow, or the proxy
// shows the uploader garbage (or nothing) instead of the 403 page.
#include "apps/dijk-check/icap/icap_response.h"

#include <gtest/gtest.h>

#include <string>

namespace dijk::icap {
namespace {

// The section after the ICAP head, cut at the res-body offset the head announces.
struct Framed {
  std::string icap_head, http_head, body;
};

Framed frame(const std::string& response) {
  Framed f;
  const std::size_t end = response.find("\r\n\r\n");
  f.icap_head = response.substr(0, end + 4);
  const std::string rest = response.substr(end + 4);
  const std::size_t at = f.icap_head.find("res-body=");
  if (at == std::string::npos) return f;
  const std::size_t offset = std::stoul(f.icap_head.substr(at + 9));
  f.http_head = rest.substr(0, offset);
  // One chunk and the last chunk.
  std::string chunks = rest.substr(offset);
  const std::size_t line = chunks.find("\r\n");
  const std::size_t size = std::stoul(chunks.substr(0, line), nullptr, 16);
  f.body = chunks.substr(line + 2, size);
  EXPECT_EQ(chunks.substr(line + 2 + size), "\r\n0\r\n\r\n");
  return f;
}

TEST(IcapResponse, BlockedAnswerFramesA403PageSquidCanForward) {
  const std::string page = "<html>refused</html>";
  const Framed f = frame(blocked_response(istag_for(7), page));
  EXPECT_TRUE(f.icap_head.starts_with("ICAP/1.0 200 OK\r\n"));
  EXPECT_NE(f.icap_head.find("ISTag: \"dijk-set-7\"\r\n"), std::string::npos);
  EXPECT_TRUE(f.http_head.starts_with("HTTP/1.1 403 Forbidden\r\n")) << f.http_head;
  EXPECT_TRUE(f.http_head.ends_with("\r\n\r\n"));
  EXPECT_NE(f.http_head.find("Content-Length: " + std::to_string(page.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(f.body, page);
}

TEST(IcapResponse, IstagFollowsTheSetVersion) {
  EXPECT_NE(istag_for(1), istag_for(2));
  EXPECT_LE(istag_for(~std::uint64_t{0}).size(), 34u);  // RFC 3507: at most 32 characters inside quotes
}

TEST(IcapResponse, OptionsAdvertiseReqmodPreviewAnd204) {
  OptionsAnswer a;
  a.istag = istag_for(3);
  a.preview = 1024;
  const std::string r = options_response(a);
  for (const char* h : {"Methods: REQMOD\r\n", "Allow: 204\r\n", "Preview: 1024\r\n",
                        "ISTag: \"dijk-set-3\"\r\n", "Encapsulated: null-body=0\r\n"}) {
    EXPECT_NE(r.find(h), std::string::npos) << h;
  }
  EXPECT_TRUE(r.ends_with("\r\n\r\n"));
}

TEST(IcapResponse, EchoCarriesTheRequestBack) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string body = "hello";
  const std::string r =
      echo_response(istag_for(1), head, {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  EXPECT_NE(r.find("Encapsulated: req-hdr=0, req-body=" + std::to_string(head.size()) + "\r\n\r\n" + head +
                   "5\r\nhello\r\n0\r\n\r\n"),
            std::string::npos)
      << r;
}

TEST(IcapResponse, A400ClosesTheConnection) {
  const std::string r = error_response(400, istag_for(1), true);
  EXPECT_TRUE(r.starts_with("ICAP/1.0 400 Bad Request\r\n"));
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
}

}  // namespace
}  // namespace dijk::icap
