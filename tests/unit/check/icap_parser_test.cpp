// The ICAP framing as Squid and c-icap's clients send it, cut at every byte, and the hostile shapes a
// broken or malicious client sends: each is refused with a reason, never a crash or a hang.
#include "apps/dijk-check/icap/icap_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace dijk::icap {
namespace {

// Writes every handler call as one line, so a test compares whole conversations.
class Recorder : public IcapHandler {
 public:
  bool continue_after_preview = true;
  std::vector<std::string> events;
  std::string body;

  void request_head(const IcapRequestHead& h) override {
    events.push_back("head " + h.method + " " + h.service + (h.allow_204 ? " 204" : "") +
                     (h.preview ? " preview=" + std::to_string(*h.preview) : "") + (h.close ? " close" : ""));
  }
  void http_head(std::string_view head) override { events.push_back("http " + std::to_string(head.size())); }
  void body_data(std::span<const std::uint8_t> bytes) override {
    body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  bool preview_end() override {
    events.push_back("preview_end body=" + std::to_string(body.size()));
    return continue_after_preview;
  }
  void request_end(bool ieof) override {
    events.push_back("end body=" + std::to_string(body.size()) + (ieof ? " ieof" : ""));
    body.clear();
  }
};

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const std::string kHttpHead =
    "POST http://origin.test/upload HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 11\r\n\r\n";

std::string reqmod(const std::string& extra_headers, const std::string& chunks) {
  return "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers +
         "Encapsulated: req-hdr=0, req-body=" + std::to_string(kHttpHead.size()) + "\r\n\r\n" + kHttpHead +
         chunks;
}

Recorder parse_whole(const std::string& text) {
  Recorder r;
  IcapParser p(r);
  p.feed(bytes_of(text));
  if (p.failed()) r.events.push_back("failed: " + p.error());
  return r;
}

Recorder parse_bytewise(const std::string& text) {
  Recorder r;
  IcapParser p(r);
  for (char c : text) {
    const auto b = static_cast<std::uint8_t>(c);
    p.feed({&b, 1});
  }
  if (p.failed()) r.events.push_back("failed: " + p.error());
  return r;
}

TEST(IcapParser, OptionsWithoutABody) {
  const auto r =
      parse_whole("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nEncapsulated: null-body=0\r\n\r\n");
  EXPECT_EQ(r.events, (std::vector<std::string>{"head OPTIONS reqmod", "end body=0"}));
}

TEST(IcapParser, ReqmodWithChunkedBodyCutAtEveryByteGivesTheSameRequest) {
  const std::string text = reqmod("Allow: 204\r\n", "5\r\nhello\r\n6; ext=1\r\n world\r\n0\r\n\r\n");
  const auto whole = parse_whole(text);
  EXPECT_EQ(whole.events,
            (std::vector<std::string>{"head REQMOD reqmod 204", "http " + std::to_string(kHttpHead.size()),
                                      "end body=11"}));
  EXPECT_EQ(parse_bytewise(text).events, whole.events);
}

TEST(IcapParser, PreviewThenContinueThenTheRest) {
  Recorder r;
  IcapParser p(r);
  p.feed(bytes_of(reqmod("Preview: 5\r\nAllow: 204\r\n", "5\r\nhello\r\n0\r\n\r\n")));
  EXPECT_EQ(r.events.back(), "preview_end body=5");
  p.feed(bytes_of("6\r\n world\r\n0\r\n\r\n"));
  EXPECT_FALSE(p.failed()) << p.error();
  EXPECT_EQ(r.events.back(), "end body=11");
  EXPECT_TRUE(p.idle());
}

TEST(IcapParser, PreviewAnsweredEarlyLeavesTheConnectionReadyForTheNextRequest) {
  Recorder r;
  r.continue_after_preview = false;
  IcapParser p(r);
  const std::string first = reqmod("Preview: 5\r\n", "5\r\nhello\r\n0\r\n\r\n");
  p.feed(bytes_of(first + first));
  EXPECT_FALSE(p.failed()) << p.error();
  EXPECT_EQ(std::count(r.events.begin(), r.events.end(), "preview_end body=5"), 1);
  EXPECT_EQ(r.events.back(), "preview_end body=10");  // the body recorder is not cleared without an end
  EXPECT_EQ(std::count_if(r.events.begin(), r.events.end(),
                          [](const std::string& e) { return e.starts_with("head"); }),
            2);
}

TEST(IcapParser, IeofEndsTheBodyInsideThePreview) {
  const auto r = parse_whole(reqmod("Preview: 1024\r\n", "b\r\nhello world\r\n0; ieof\r\n\r\n"));
  EXPECT_EQ(r.events.back(), "end body=11 ieof");
}

TEST(IcapParser, PipelinedRequestsOnOneConnection) {
  const std::string one = reqmod("", "3\r\nabc\r\n0\r\n\r\n");
  const auto r = parse_whole(one + one + one);
  EXPECT_EQ(std::count(r.events.begin(), r.events.end(), "end body=3"), 3);
}

TEST(IcapParser, NullBodyRequestEndsAfterItsHttpHead) {
  const std::string get = "GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\n\r\n";
  const auto r = parse_whole("REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=" +
                             std::to_string(get.size()) + "\r\n\r\n" + get);
  EXPECT_EQ(r.events, (std::vector<std::string>{"head REQMOD reqmod", "http " + std::to_string(get.size()),
                                                "end body=0"}));
}

TEST(IcapParser, ConnectionCloseIsNoted) {
  const auto r = parse_whole("OPTIONS icap://h/reqmod ICAP/1.0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.events.front(), "head OPTIONS reqmod close");
}

struct Hostile {
  const char* name;
  std::string bytes;
  const char* reason;  // a part of the error text
};

class IcapParserHostile : public ::testing::TestWithParam<Hostile> {};

TEST_P(IcapParserHostile, IsRefusedWithAReason) {
  const Hostile& h = GetParam();
  for (const auto& r : {parse_whole(h.bytes), parse_bytewise(h.bytes)}) {
    ASSERT_FALSE(r.events.empty());
    EXPECT_TRUE(r.events.back().starts_with("failed: ")) << h.name << ": " << r.events.back();
    EXPECT_NE(r.events.back().find(h.reason), std::string::npos) << h.name << ": " << r.events.back();
  }
}

const std::string kHead = "REQMOD icap://h/reqmod ICAP/1.0\r\n";
const std::string kEncapsulated =
    "Encapsulated: req-hdr=0, req-body=" + std::to_string(kHttpHead.size()) + "\r\n\r\n";

INSTANTIATE_TEST_SUITE_P(
    Shapes, IcapParserHostile,
    ::testing::Values(
        Hostile{"http_version", "REQMOD icap://h/reqmod HTTP/1.1\r\n\r\n", "ICAP/1.0"},
        Hostile{"no_uri", "REQMOD ICAP/1.0\r\n\r\n", "request line"},
        Hostile{"bad_uri", "REQMOD reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n", "URI"},
        Hostile{"method_not_token", "RE(MOD icap://h/x ICAP/1.0\r\n\r\n", "method"},
        Hostile{"no_encapsulated", kHead + "Host: h\r\n\r\n", "Encapsulated header missing"},
        Hostile{"encapsulated_not_ascending", kHead + "Encapsulated: req-hdr=0, req-body=0\r\n\r\n",
                "ascending"},
        Hostile{"encapsulated_unknown", kHead + "Encapsulated: foo=0\r\n\r\n", "known sections"},
        Hostile{"encapsulated_no_body", kHead + "Encapsulated: req-hdr=0\r\n\r\n", "body section"},
        Hostile{"encapsulated_garbage_offset", kHead + "Encapsulated: req-hdr=0, req-body=12x\r\n\r\n",
                "name=offset"},
        Hostile{"http_head_too_long", kHead + "Encapsulated: req-hdr=0, req-body=99999999\r\n\r\n",
                "HTTP head"},
        Hostile{"folded_header", kHead + "Host: h\r\n  folded\r\n" + kEncapsulated, "folded"},
        Hostile{"header_without_colon", kHead + "Host h\r\n" + kEncapsulated, "Name: value"},
        Hostile{"nul_in_header_value", kHead + std::string("X-A: a\0b\r\n", 10) + kEncapsulated, "control"},
        Hostile{"bare_cr_in_header_value", kHead + "X-A: a\rb\r\n" + kEncapsulated, "control"},
        Hostile{"preview_not_a_number", kHead + "Preview: lots\r\n" + kEncapsulated, "Preview"},
        Hostile{"chunk_size_not_hex", kHead + kEncapsulated + kHttpHead + "zz\r\nhello\r\n", "hexadecimal"},
        Hostile{"chunk_size_huge", kHead + kEncapsulated + kHttpHead + "ffffffffffffffffff\r\n",
                "hexadecimal"},
        Hostile{"chunk_without_crlf", kHead + kEncapsulated + kHttpHead + "5\r\nhelloXX", "CRLF"},
        Hostile{"chunk_line_bare_lf", kHead + kEncapsulated + kHttpHead + "5\nhello", "CRLF"},
        Hostile{"chunk_line_endless", kHead + kEncapsulated + kHttpHead + std::string(5000, '1'),
                "longer than"},
        Hostile{"trailer_after_last_chunk", kHead + kEncapsulated + kHttpHead + "0\r\nX-Trailer: 1\r\n\r\n",
                "trailers"},
        Hostile{"ieof_not_last",
                kHead + "Preview: 10\r\n" + kEncapsulated + kHttpHead + "5; ieof\r\nhello\r\n", "ieof"},
        Hostile{"preview_overrun", kHead + "Preview: 2\r\n" + kEncapsulated + kHttpHead + "5\r\nhello\r\n",
                "preview is longer"},
        Hostile{"head_endless", "OPTIONS icap://h/x ICAP/1.0\r\nX: " + std::string(20000, 'a'),
                "ICAP headers longer"},
        Hostile{"too_many_headers",
                [] {
                  std::string s = kHead;
                  for (int i = 0; i < 200; ++i) s += "X-" + std::to_string(i) + ": 1\r\n";
                  return s + kEncapsulated;
                }(),
                "headers"},
        Hostile{"options_body", "OPTIONS icap://h/x ICAP/1.0\r\nEncapsulated: opt-body=0\r\n\r\n",
                "OPTIONS request bodies"}),
    [](const ::testing::TestParamInfo<Hostile>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace dijk::icap
