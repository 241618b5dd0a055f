// The pieces that find files in base64 text, on their own: Base64Decoder (alphabets, padding, line breaks,
// malformed text), JsonStringScanner (keys and string values, escapes, malformed JSON, the depth cap) and
// FormValueScanner (names and values, escapes split across pieces, a body that is not a form). Each is
// fed whole and in every piece size that matters, and must give the same result.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dataplane/http/base64_decoder.h"
#include "dataplane/http/form_value_scanner.h"
#include "dataplane/http/json_string_scanner.h"
#include "tests/support/base64_text.h"

namespace dijk::test {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Decoded {
  std::vector<std::uint8_t> bytes;
  bool ok = false;
};

Decoded decode(std::string_view text, std::size_t piece) {
  Base64Decoder d;
  Decoded r;
  const auto out = [&](std::span<const std::uint8_t> b) {
    r.bytes.insert(r.bytes.end(), b.begin(), b.end());
  };
  for (std::size_t off = 0; off < text.size(); off += piece) d.feed(as_bytes(text.substr(off, piece)), out);
  r.ok = d.finish(out) == Base64Decoder::Status::ok;
  EXPECT_EQ(d.bytes_out(), r.bytes.size());
  return r;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

TEST(Base64Decoder, EveryStyleDecodesToTheSameBytesInAnyPieces) {
  const std::vector<Base64Style> styles = {{},
                                           {.url_safe = true},
                                           {.padding = false},
                                           {.url_safe = true, .padding = false},
                                           {.wrap = 76, .newline = "\r\n"},
                                           {.wrap = 64},
                                           {.wrap = 3, .newline = " "}};
  for (std::size_t size : {0u, 1u, 2u, 3u, 4u, 5u, 57u, 100u, 4096u, 20000u}) {
    const auto bytes = random_bytes(size, size);
    for (const auto& style : styles) {
      const std::string text = base64_text(bytes, style);
      for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                                std::size_t{4096}, text.size() + 1}) {
        const Decoded d = decode(text, piece);
        ASSERT_TRUE(d.ok) << "size " << size << " piece " << piece << " text " << text.substr(0, 40);
        ASSERT_EQ(d.bytes, bytes) << "size " << size << " piece " << piece;
      }
    }
  }
}

TEST(Base64Decoder, MixedAlphabetsAndKnownValues) {
  EXPECT_EQ(decode("SGVsbG8=", 100).bytes, std::vector<std::uint8_t>({'H', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(decode("+/-_", 100).bytes, decode("+/+/", 100).bytes);  // "-" is "+", "_" is "/"
  EXPECT_EQ(decode("QQ==", 1).bytes, std::vector<std::uint8_t>({'A'}));
  EXPECT_EQ(decode("QUI", 1).bytes, std::vector<std::uint8_t>({'A', 'B'}));
  EXPECT_TRUE(decode("  QUJD \n", 3).ok);
}

TEST(Base64Decoder, MalformedTextIsRefusedAndStaysSo) {
  for (const std::string_view bad :
       {"QUJD!QUJD", "QUJD\"", "Q", "QUJDQ", "=QUJD", "QQ==QQ==", "QUI=Q", "QQ===", "Q=", "QUJD\xc3\xa9"}) {
    for (std::size_t piece : {1u, 2u, 100u}) {
      EXPECT_FALSE(decode(bad, piece).ok) << bad << " piece " << piece;
    }
  }
  // A bad byte anywhere in a fast-path step of 16 is found, fed whole or cut.
  const std::string good = base64_text(random_bytes(300, 9));
  for (std::size_t at = 0; at < 48; ++at) {
    std::string bad = good;
    bad[at] = '*';
    EXPECT_FALSE(decode(bad, bad.size()).ok) << at;
    EXPECT_FALSE(decode(bad, 5).ok) << at;
  }
  // Nothing is decoded after the first bad byte.
  Base64Decoder d;
  std::vector<std::uint8_t> out;
  const auto sink = [&](std::span<const std::uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); };
  EXPECT_EQ(d.feed(as_bytes("QUJD*QUJD"), sink), Base64Decoder::Status::malformed);
  EXPECT_EQ(d.feed(as_bytes("QUJD"), sink), Base64Decoder::Status::malformed);
  EXPECT_EQ(out, std::vector<std::uint8_t>({'A', 'B', 'C'}));
}

// What a JSON scan reports: each string value as key=value, "!" after one that ended incomplete.
class Recorder : public JsonStringHandler {
 public:
  void value_begin(std::string_view key) override {
    EXPECT_FALSE(open_);
    open_ = true;
    values.push_back(std::string(key) + "=");
  }
  void value_data(std::span<const std::uint8_t> bytes) override {
    EXPECT_TRUE(open_);
    values.back().append(bytes.begin(), bytes.end());
  }
  void value_end(bool complete) override {
    EXPECT_TRUE(open_);
    open_ = false;
    if (!complete) values.back() += "!";
  }
  std::vector<std::string> values;

 private:
  bool open_ = false;
};

struct JsonScan {
  std::vector<std::string> values;
  JsonStringScanner::Status status;
};

JsonScan scan_json(std::string_view json, std::size_t piece) {
  Recorder r;
  JsonStringScanner s(r);
  for (std::size_t off = 0; off < json.size(); off += piece) s.feed(as_bytes(json.substr(off, piece)));
  const auto status = s.finish();
  return {r.values, status};
}

JsonScan scan_json_all_pieces(std::string_view json) {
  const JsonScan whole = scan_json(json, json.size() + 1);
  for (std::size_t piece : {1u, 2u, 3u, 5u}) {
    const JsonScan cut = scan_json(json, piece);
    EXPECT_EQ(cut.values, whole.values) << json << " piece " << piece;
    EXPECT_EQ(cut.status, whole.status) << json << " piece " << piece;
  }
  return whole;
}

TEST(JsonStringScanner, ReportsStringValuesWithTheirKeys) {
  const auto r = scan_json_all_pieces(
      R"( {"name": "cat", "n": -1.5e3, "ok": true, "no": null, "f": false, "tags": ["a", "b"],)"
      R"( "inner": {"image": "QUJD", "k": [1, {}, []]}, "e": "", "last": "x"} )");
  EXPECT_EQ(r.status, JsonStringScanner::Status::ok);
  EXPECT_EQ(r.values,
            (std::vector<std::string>{"name=cat", "tags=a", "tags=b", "image=QUJD", "e=", "last=x"}));
}

TEST(JsonStringScanner, UnescapesValues) {
  const auto r = scan_json_all_pieces(R"({"a": "QU\nJD\/+\u0041\"\\\t", "b": "\u00e9\u20ac"})");
  EXPECT_EQ(r.status, JsonStringScanner::Status::ok);
  ASSERT_EQ(r.values.size(), 2u);
  EXPECT_EQ(r.values[0], "a=QU\nJD/+A\"\\\t");
  EXPECT_EQ(r.values[1], "b=\xc3\xa9\xe2\x82\xac");
}

TEST(JsonStringScanner, LongRunsFindTheirQuoteEscapeOrControlByteAtAnyOffset) {
  // Plain runs are scanned 16 bytes a step: the byte that ends one may sit anywhere in a step.
  for (std::size_t at = 0; at < 40; ++at) {
    const std::string run(at, 'Q');
    const std::string high = "\xc3\xa9";  // bytes past ASCII are plain
    EXPECT_EQ(scan_json_all_pieces("[\"" + run + high + "\"]").values,
              std::vector<std::string>{"=" + run + high});
    EXPECT_EQ(scan_json_all_pieces("[\"" + run + "\\/" + run + "\"]").values,
              std::vector<std::string>{"=" + run + "/" + run});
    const auto broken = scan_json_all_pieces("[\"" + run + "\x1f" + run + "\"]");
    EXPECT_EQ(broken.status, JsonStringScanner::Status::malformed);
    EXPECT_EQ(broken.values, std::vector<std::string>{"=" + run + "!"});
  }
}

TEST(JsonStringScanner, TopLevelValuesAndJsonLines) {
  EXPECT_EQ(scan_json_all_pieces(R"("QUJD")").values, std::vector<std::string>{"=QUJD"});
  const auto lines = scan_json_all_pieces("{\"a\":\"1\"}\n{\"b\":\"2\"}\n[3]\n4");
  EXPECT_EQ(lines.status, JsonStringScanner::Status::ok);
  EXPECT_EQ(lines.values, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(scan_json_all_pieces("  ").status, JsonStringScanner::Status::ok);
}

TEST(JsonStringScanner, MalformedJsonStopsTheScan) {
  for (const std::string_view bad :
       {R"({"a" "b"})", R"({"a": "b",})", R"({"a": "b"]})", R"([1, 2}])", R"({a: "b"})", R"({"a": tru})",
        R"({"a": "b" "c"})", R"(["a", , "b"])", "{\"a\": \"x\ty\"}", R"({"a": "\q"})", R"({"a": "\u12G4"})",
        R"(})", R"({"a": @})", R"({"a":1:2})"}) {
    EXPECT_EQ(scan_json_all_pieces(bad).status, JsonStringScanner::Status::malformed) << bad;
  }
  // A value in progress when the JSON breaks, or when the body ends, is reported incomplete.
  EXPECT_EQ(scan_json_all_pieces("{\"img\": \"QUJD\x01\"}").values, std::vector<std::string>{"img=QUJD!"});
  const auto cut = scan_json_all_pieces(R"({"img": "QUJDQUJD)");
  EXPECT_EQ(cut.status, JsonStringScanner::Status::malformed);
  EXPECT_EQ(cut.values, std::vector<std::string>{"img=QUJDQUJD!"});
  for (const std::string_view open : {R"({"a": [)", R"({"a")", R"({"a":)", R"([1,)", "tr", "{"}) {
    EXPECT_EQ(scan_json_all_pieces(open).status, JsonStringScanner::Status::malformed) << open;
  }
}

TEST(JsonStringScanner, NestingPastTheCapIsTooDeepAndNothingAfterIsScanned) {
  const std::size_t cap = JsonStringScanner::kMaxDepth;
  const std::string at_cap = std::string(cap, '[') + "\"x\"" + std::string(cap, ']');
  EXPECT_EQ(scan_json_all_pieces(at_cap).status, JsonStringScanner::Status::ok);
  std::string deep;
  for (int i = 0; i < 10'000; ++i) deep += "{\"a\":[";
  deep += "\"QUJD\"";
  const auto r = scan_json(deep, 4096);
  EXPECT_EQ(r.status, JsonStringScanner::Status::too_deep);
  EXPECT_TRUE(r.values.empty());
}

struct FormScan {
  std::vector<std::string> values;
  bool form;
};

FormScan scan_form(std::string_view body, std::size_t piece, bool complete = true) {
  Recorder r;
  FormValueScanner s(r);
  for (std::size_t off = 0; off < body.size(); off += piece) s.feed(as_bytes(body.substr(off, piece)));
  s.finish(complete);
  return {r.values, s.is_form()};
}

TEST(FormValueScanner, NamesAndValuesWithEscapesSplitAnywhere) {
  const std::string_view body = "a=1&img=QU%2BJ%2fD%0A%3D+&empty=&flag&na%6De=x%zz%4&=anon";
  for (std::size_t piece : {1u, 2u, 3u, 100u}) {
    const auto r = scan_form(body, piece);
    EXPECT_TRUE(r.form);
    EXPECT_EQ(r.values, (std::vector<std::string>{"a=1", "img=QU+J/D\n=+", "empty=", "name=x%zz%4", "=anon"}))
        << "piece " << piece;
  }
  EXPECT_EQ(scan_form("img=QUJD", 3, false).values, std::vector<std::string>{"img=QUJD!"});
}

TEST(FormValueScanner, BinaryBodyIsNotAForm) {
  const std::string body = std::string("img=QUJD") + "\xff\xd8\xff\xe0" + "&b=2";
  const auto r = scan_form(body, 5);
  EXPECT_FALSE(r.form);
  EXPECT_EQ(r.values, std::vector<std::string>{"img=QUJD!"});  // ended incomplete, nothing after
}

}  // namespace
}  // namespace dijk::test
