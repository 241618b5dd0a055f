#include <gtest/gtest.h>

#include <string>

#include "hashcore/sniff/file_type.h"

namespace dijk {
namespace {

FileType sniff(const std::string& s) {
  return sniff_file_type({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}
// String literals with embedded NULs, whole (the std::string constructor would stop at the first NUL).
template <std::size_t N>
FileType sniff(const char (&literal)[N]) {
  return sniff(std::string(literal, N - 1));
}

TEST(Sniff, RecognisesEachImageFormatByMagic) {
  EXPECT_EQ(sniff("\xFF\xD8\xFF\xE0rest"), FileType::jpeg);
  EXPECT_EQ(sniff("\x89PNG\r\n\x1A\n...."), FileType::png);
  EXPECT_EQ(sniff("GIF89a.."), FileType::gif);
  EXPECT_EQ(sniff("GIF87a.."), FileType::gif);
  EXPECT_EQ(sniff("RIFF\x10\0\0\0WEBPVP8 "), FileType::webp);
  EXPECT_EQ(sniff(std::string("II*\0", 4)), FileType::tiff);
  EXPECT_EQ(sniff(std::string("MM\0*", 4)), FileType::tiff);
  EXPECT_EQ(sniff(std::string("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", 18)), FileType::bmp);
  EXPECT_EQ(sniff(std::string("\0\0\0\x18" "ftypheic\0\0\0\0", 16)), FileType::heic);
  EXPECT_EQ(sniff(std::string("\0\0\0\x18" "ftypavif\0\0\0\0", 16)), FileType::avif);
}

TEST(Sniff, RefusesLookalikesAndShortInput) {
  EXPECT_EQ(sniff(""), FileType::unknown);
  EXPECT_EQ(sniff("\xFF\xD8"), FileType::unknown);
  EXPECT_EQ(sniff("BMW is a car brand, not a bitmap"), FileType::unknown);
  EXPECT_EQ(sniff("RIFF\x10\0\0\0WAVEfmt "), FileType::unknown);
  EXPECT_EQ(sniff(std::string("\0\0\0\x18" "ftypisom\0\0\0\0", 16)), FileType::unknown);
  EXPECT_FALSE(is_image(FileType::unknown));
  EXPECT_TRUE(is_image(FileType::webp));
}

}  // namespace
}  // namespace dijk
