// Decoding every supported format and variant, and hostile input: bombs, truncation, empty and tiny images.
#include "hashcore/image/image_decoder.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "hashcore/pdq/pdq_hasher.h"
#include "tests/unit/pdq/test_files.h"

namespace dijk::image {
namespace {

using pdqtest::data_dir;
using pdqtest::read_bytes;

std::vector<std::uint8_t> format_file(const std::string& name) {
  return read_bytes(data_dir() / "formats" / name);
}

PdqResult full_hash(const std::vector<std::uint8_t>& bytes) {
  PdqHasher hasher(PdqOptions{.fast = false});
  const auto r = hasher.hash_file_bytes(bytes);
  EXPECT_TRUE(r.has_value()) << decode_status_name(hasher.last_status());
  return r.value_or(PdqResult{});
}

TEST(ImageDecoder, EveryFormatAndVariantHashesLikeTheSourcePicture) {
  const PdqResult source = full_hash(read_bytes(data_dir() / "images/bridge-mods__square-256x256.jpg"));
  ASSERT_EQ(source.quality, 100);
  // Lossless re-encodings hash (nearly) the same; palette, GIF and lossy WebP quantise colours.
  const std::pair<const char*, int> cases[] = {
      {"png.png", 2},       {"rgb16.png", 2},       {"interlaced.png", 2}, {"rgba.png", 2},
      {"lossless.webp", 2}, {"progressive.jpg", 4}, {"gray.jpg", 8},       {"cmyk.jpg", 12},
      {"palette.png", 16},  {"frame.gif", 16},      {"lossy.webp", 16},
  };
  for (const auto& [name, max_distance] : cases) {
    const PdqResult r = full_hash(format_file(name));
    EXPECT_EQ(r.quality, 100) << name;
    EXPECT_LE(pdq_distance(r.hash, source.hash), max_distance) << name;
  }
}

TEST(ImageDecoder, InterlacedGifDecodesRowsInPlace) {
  ImageDecoder decoder;
  const auto bytes = format_file("interlaced.gif");
  const DecodeResult r = decoder.decode(bytes);
  ASSERT_TRUE(r.ok()) << decode_status_name(r.status);
  ASSERT_EQ(r.luma.width, 64u);
  // A vertical gradient from white to black: rows must come out in order, not in pass order.
  for (std::uint32_t y = 1; y < 64; ++y) EXPECT_LE(r.luma.pixels[y * 64], r.luma.pixels[(y - 1) * 64]) << y;
}

TEST(ImageDecoder, TinyImagesGetQualityZeroAndNeverMatch) {
  for (const char* name : {"1x1.png", "1x1.jpg", "4x4.jpg", "4x300.png", "300x4.gif"}) {
    PdqHasher hasher;
    const auto r = hasher.hash_file_bytes(format_file(name));
    ASSERT_TRUE(r.has_value()) << name << ": " << decode_status_name(hasher.last_status());
    EXPECT_EQ(r->quality, 0) << name;
    EXPECT_EQ(r->hash, PdqHash{}) << name;
    EXPECT_LT(r->quality, kPdqDefaultMinQuality);
  }
}

TEST(ImageDecoder, EmptyAndUnknownInputAreCountedErrors) {
  ImageDecoder decoder;
  EXPECT_EQ(decoder.decode({}).status, DecodeStatus::empty);
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(decoder.decode(text).status, DecodeStatus::unsupported);
  EXPECT_EQ(decoder.counters().count(DecodeStatus::empty), 1u);
  EXPECT_EQ(decoder.counters().count(DecodeStatus::unsupported), 1u);
}

TEST(ImageDecoder, TruncatedFilesAreErrorsNeverGreyFilledImages) {
  for (const char* name : {"progressive.jpg", "gray.jpg", "png.png", "interlaced.png", "frame.gif",
                           "lossy.webp", "lossless.webp"}) {
    const auto bytes = format_file(name);
    for (double keep : {0.1, 0.5, 0.9, 0.99}) {
      ImageDecoder decoder;
      const auto cut =
          std::span(bytes).first(static_cast<std::size_t>(static_cast<double>(bytes.size()) * keep));
      const DecodeResult r = decoder.decode(cut);
      EXPECT_FALSE(r.ok()) << name << " kept " << keep;
      EXPECT_TRUE(r.status == DecodeStatus::truncated || r.status == DecodeStatus::corrupt)
          << name << " kept " << keep << ": " << decode_status_name(r.status);
      EXPECT_EQ(decoder.counters().count(r.status), 1u);
      EXPECT_EQ(r.luma.pixels, nullptr);
    }
  }
}

// Rewrites the dimensions a file declares, as a decompression bomb does.
void set_u16be(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

TEST(ImageDecoder, DecompressionBombsAreRefusedBeforeAllocating) {
  ImageDecoder decoder;
  // JPEG: 60000 x 60000 in the SOF marker.
  auto jpeg = format_file("progressive.jpg");
  for (std::size_t i = 0; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && (jpeg[i + 1] == 0xc0 || jpeg[i + 1] == 0xc2)) {
      set_u16be(jpeg, i + 5, 60000);
      set_u16be(jpeg, i + 7, 60000);
      break;
    }
  }
  EXPECT_EQ(decoder.decode(jpeg).status, DecodeStatus::too_many_pixels);
  // PNG: 60000 x 60000 in IHDR, with a correct CRC so only the size can refuse it.
  auto png = format_file("png.png");
  set_u16be(png, 16, 0);
  set_u16be(png, 18, 60000);
  set_u16be(png, 20, 0);
  set_u16be(png, 22, 60000);
  const auto crc = static_cast<std::uint32_t>(crc32(0, png.data() + 12, 17));
  for (int k = 0; k < 4; ++k)
    png[29 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(crc >> (24 - 8 * k));
  EXPECT_EQ(decoder.decode(png).status, DecodeStatus::too_many_pixels);
  // GIF: the first image descriptor claims 65535 x 65535 (little-endian).
  auto gif = format_file("frame.gif");
  std::size_t at = 13 + ((gif[10] & 0x80) ? 3u << ((gif[10] & 7) + 1) : 0u);  // after the global colour table
  while (gif[at] == 0x21) {                                                   // skip extensions
    at += 2;
    while (gif[at] != 0) at += gif[at] + 1u;
    ++at;
  }
  ASSERT_EQ(gif[at], 0x2c);
  gif[at + 5] = gif[at + 6] = gif[at + 7] = gif[at + 8] = 0xff;
  EXPECT_EQ(decoder.decode(gif).status, DecodeStatus::too_many_pixels);
  EXPECT_EQ(decoder.counters().count(DecodeStatus::too_many_pixels), 3u);

  // The limits are the caller's: a 256x256 image is a bomb to a 10,000-pixel decoder, and so is a large file.
  ImageDecoder strict(DecodeLimits{.max_pixels = 10'000, .max_file_bytes = 1'000});
  EXPECT_EQ(strict.decode(format_file("lossy.webp")).status, DecodeStatus::file_too_large);
  EXPECT_EQ(strict.decode(format_file("4x300.png")).status, DecodeStatus::ok);
  ImageDecoder few_pixels(DecodeLimits{.max_pixels = 10'000});
  for (const char* name : {"lossy.webp", "frame.gif", "png.png", "progressive.jpg"}) {
    EXPECT_EQ(few_pixels.decode(format_file(name)).status, DecodeStatus::too_many_pixels) << name;
  }
}

TEST(ImageDecoder, FastPathScalesLargeJpegsInTheDctDomain) {
  ImageDecoder decoder;
  const auto bytes = read_bytes(data_dir() / "images/bridge-mods__aaa-orig.jpg");  // 1600 x 1004
  const DecodeResult r = decoder.decode(bytes, DecodeOptions{.jpeg_min_side = 256});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.luma.source_width, 1600u);
  // 2/8 would leave the shorter side at 251 < 256, so 3/8: 600 x 377.
  EXPECT_EQ(r.luma.width, 600u);
  EXPECT_EQ(r.luma.height, 377u);
}

}  // namespace
}  // namespace dijk::image

namespace dijk::image {
namespace {

// Each file is the 512x512 bridge stored turned or mirrored, with the EXIF orientation that displays it
// upright again (made with ImageMagick: -rotate/-flop/-transpose, then -orient). A mirror moves PDQ's
// sampling grid by a pixel on even sizes, so as with the reference's own rotated files a few bits differ.
TEST(ExifOrientation, IgnoredByDefaultAppliedOnRequest) {
  const PdqResult upright = full_hash(read_bytes(data_dir() / "images/bridge-mods__square-512x512.jpg"));
  PdqHasher as_reference(PdqOptions{.fast = false});
  PdqHasher as_displayed(PdqOptions{.fast = false, .apply_exif_orientation = true});
  for (const char* name : {"orientation2.jpg", "orientation5.jpg", "orientation6.jpg", "orientation8.jpg"}) {
    const auto bytes = read_bytes(data_dir() / "exif" / name);
    ImageDecoder decoder;
    EXPECT_EQ(decoder.decode(bytes, DecodeOptions{.read_exif_orientation = true}).luma.exif_orientation,
              name[11] - '0')
        << name;
    const auto stored = as_reference.hash_file_bytes(bytes);
    const auto displayed = as_displayed.hash_file_bytes(bytes);
    ASSERT_TRUE(stored && displayed) << name;
    EXPECT_GT(pdq_distance(stored->hash, upright.hash), 31) << name;  // as stored: another picture
    EXPECT_LE(pdq_distance(displayed->hash, upright.hash), 16) << name;
    EXPECT_EQ(displayed->quality, stored->quality);
  }
}

TEST(ExifOrientation, MalformedExifIsOrientationOne) {
  std::vector<std::uint8_t> app1 = {'E', 'x', 'i',  'f',  0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                                    1,   0,   0x12, 0x01, 3, 0, 1,   0,   0,  0, 6, 0, 0, 0};
  EXPECT_EQ(exif_orientation(app1), 6);
  for (std::size_t cut = 0; cut < app1.size() - 2; ++cut) {
    EXPECT_EQ(exif_orientation(std::span(app1).first(cut)), 1) << cut;  // never reads past the end
  }
  app1[24] = 9;  // not an orientation
  EXPECT_EQ(exif_orientation(app1), 1);
  app1[24] = 6;
  app1[10] = 0xff;  // IFD offset beyond the data
  EXPECT_EQ(exif_orientation(app1), 1);
}

}  // namespace
}  // namespace dijk::image
