// The one place that makes any name safe to print: JSON (valid UTF-8, U+FFFD for the rest) and text
// (ls -b style escapes), and the hit printers that use them.
#include "hashcore/util/safe_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dataplane/events/hit_printer.h"
#include "dataplane/events/json_text.h"

namespace dijk {
namespace {

const std::string kFffd = "\xef\xbf\xbd";

TEST(ValidUtf8, KeepsWellFormedTextAndReplacesEachBadByte) {
  EXPECT_EQ(valid_utf8("plain, \xc3\xa9t\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80"),
            "plain, \xc3\xa9t\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80");
  EXPECT_EQ(valid_utf8("\xff"), kFffd);
  EXPECT_EQ(valid_utf8("a\x80z"), "a" + kFffd + "z");                        // stray continuation
  EXPECT_EQ(valid_utf8("\xc3"), kFffd);                                      // truncated at the end
  EXPECT_EQ(valid_utf8("\xe2\x82z"), kFffd + kFffd + "z");                   // truncated in the middle
  EXPECT_EQ(valid_utf8("\xc0\xaf"), kFffd + kFffd);                          // overlong '/'
  EXPECT_EQ(valid_utf8("\xe0\x80\xaf"), kFffd + kFffd + kFffd);              // overlong, 3 bytes
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), kFffd + kFffd + kFffd);              // surrogate U+D800
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(JsonString, AnyBytesMakeAStringAStrictParserAccepts) {
  for (int b = 0; b < 256; ++b) {
    for (const std::string& s :
         {std::string(1, static_cast<char>(b)),
          "x" + std::string(1, static_cast<char>(b)) + "\xc3\xa9" + std::string(1, static_cast<char>(b))}) {
      const std::string text = json_string(s);
      nlohmann::json parsed;
      ASSERT_NO_THROW(parsed = nlohmann::json::parse(text)) << "byte " << b << ": " << text;
      if (b < 0x80) {
        EXPECT_EQ(parsed.get<std::string>(), s) << "ASCII (controls included) round-trips";
      }
    }
  }
}

TEST(PrintableText, EscapesControlsBackslashAndBadBytesLikeLsB) {
  EXPECT_EQ(printable_text("plain \xc3\xa9t\xc3\xa9.jpg"), "plain \xc3\xa9t\xc3\xa9.jpg");
  EXPECT_EQ(printable_text("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(printable_text("\x1b[2J\x7f"), "\\x1b[2J\\x7f");
  EXPECT_EQ(printable_text("back\\slash"), "back\\\\slash");
  EXPECT_EQ(printable_text("bad\xff\xfe"), "bad\\xff\\xfe");
  EXPECT_EQ(printable_text("csi\xc2\x9b"), "csi\\xc2\\x9b");  // C1 control
  EXPECT_EQ(printable_text(std::string("nul\0", 4)), "nul\\x00");
  for (int b = 0; b < 256; ++b) {
    const std::string out = printable_text("<" + std::string(1, static_cast<char>(b)) + ">");
    for (const char c : out) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 && u != 0x7f && u < 0x80) << "byte " << b << " printed raw";
    }
  }
}

TEST(HitPrinters, WireHitWithHostileNamesStaysOneValidJsonLineAndOneTextLine) {
  HitEvent hit;
  hit.source = HitSource::wire;
  hit.method = "POST";
  hit.host = "up\xff.example";
  hit.uri = "/upload?\x1b]0;pwned\x07";
  hit.filename = "photo\n\xe9.jpg";
  hit.algorithm = "md5";
  hit.hash = "00";
  hit.list = "l";
  const std::string json = hit_json_line(hit);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(json)) << json;
  EXPECT_EQ(j.at("filename"), "photo\n" + kFffd + ".jpg");
  EXPECT_EQ(j.at("host"), "up" + kFffd + ".example");
  const std::string text = hit_human_line(hit);
  EXPECT_EQ(text, "HIT POST up\\xff.example/upload?\\x1b]0;pwned\\x07 [photo\\n\\xe9.jpg]: md5 00 list l");
}

TEST(CsvField, QuotesOnlyWhatMustBeQuotedAndDoublesInnerQuotes) {
  EXPECT_EQ(csv_field("plain name.jpg"), "plain name.jpg");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_field(""), "");
}

}  // namespace
}  // namespace dijk
