// The AVX2 block decoder held against the byte table it speeds up: every byte value at every place in a
// block is taken or refused as the table says and decodes to the table's value, and Base64Decoder with
// blocks gives exactly what it gives without them (bytes, status, count) on random text of random length,
// placed at random alignments, fed in random pieces (as JSON escapes cut it: down to one byte), with and
// without line breaks, padding in and out of place, and bytes outside both alphabets.
#include "dataplane/http/base64_blocks.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dataplane/http/base64_decoder.h"
#include "tests/support/base64_text.h"

namespace dijk::test {
namespace {

// The table's decoding of one block of 32 alphabet characters, or nothing if one is not in an alphabet.
std::optional<std::vector<std::uint8_t>> table_block(const std::uint8_t* text) {
  std::vector<std::uint8_t> out;
  for (std::size_t g = 0; g < kBase64BlockText; g += 4) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const std::uint8_t s = Base64Decoder::class_of(text[g + i]);
      if (s >= 64) return std::nullopt;
      v = (v << 6) | s;
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

TEST(Base64Blocks, EveryByteValueAtEveryPlaceIsTakenOrRefusedAsTheTableSays) {
  if (!base64_blocks_available()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937_64 rng(7);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";
  for (std::size_t at = 0; at < kBase64BlockText; ++at) {
    for (int value = 0; value < 256; ++value) {
      std::vector<std::uint8_t> text(kBase64BlockText);
      for (auto& c : text) c = static_cast<std::uint8_t>(alphabet[rng() % alphabet.size()]);
      text[at] = static_cast<std::uint8_t>(value);
      std::vector<std::uint8_t> out(kBase64BlockRoom, 0xee);
      const auto done = decode_base64_blocks(text.data(), text.size(), out.data(), out.size());
      const auto want = table_block(text.data());
      if (!want) {
        EXPECT_EQ(done.text, 0u) << "byte " << value << " at " << at;
        EXPECT_EQ(done.out, 0u);
        continue;
      }
      ASSERT_EQ(done.text, kBase64BlockText) << "byte " << value << " at " << at;
      ASSERT_EQ(done.out, kBase64BlockOut);
      EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + kBase64BlockOut), *want)
          << "byte " << value << " at " << at;
    }
  }
}

TEST(Base64Blocks, StopsBeforeTheFirstBlockThatIsNotAllAlphabetAndWithinTheRoomItIsGiven) {
  if (!base64_blocks_available()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::string text(32 * 5, 'Q');
  text[32 * 3 + 5] = '\n';
  std::vector<std::uint8_t> out(32 * 4);
  const auto* t = reinterpret_cast<const std::uint8_t*>(text.data());
  auto done = decode_base64_blocks(t, text.size(), out.data(), out.size());
  EXPECT_EQ(done.text, 96u);
  EXPECT_EQ(done.out, 72u);
  done = decode_base64_blocks(t, text.size(), out.data(), 55);  // a second store (at 24) would not fit
  EXPECT_EQ(done.text, 32u);
  done = decode_base64_blocks(t, 31, out.data(), out.size());  // no whole block
  EXPECT_EQ(done.text, 0u);
}

struct Decoded {
  std::vector<std::uint8_t> bytes;
  Base64Decoder::Status status{};
  std::uint64_t count = 0;
  bool operator==(const Decoded&) const = default;
};

// `text` fed in the given piece sizes (cycled), then finished.
Decoded decode(Base64Decoder::Kernel kernel, std::span<const std::uint8_t> text,
               const std::vector<std::size_t>& pieces) {
  Base64Decoder d(kernel);
  Decoded r;
  const auto out = [&](std::span<const std::uint8_t> b) {
    r.bytes.insert(r.bytes.end(), b.begin(), b.end());
  };
  std::size_t off = 0;
  for (std::size_t i = 0; off < text.size(); ++i) {
    const std::size_t n = std::min(pieces[i % pieces.size()], text.size() - off);
    d.feed(text.subspan(off, n), out);
    off += n;
  }
  r.status = d.finish(out);
  r.count = d.bytes_out();
  return r;
}

// Random text as an uploader (or an attacker) might send it.
std::string random_text(std::mt19937_64& rng) {
  const std::size_t sizes[] = {0, 1, 2, 3, 23, 24, 25, 4'000, 6'144, 6'145, 20'000, 70'000};
  std::vector<std::uint8_t> bytes(sizes[rng() % std::size(sizes)] + rng() % 7);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  const std::size_t wraps[] = {0, 0, 64, 76, 77, 1 + rng() % 200};
  const std::string_view newlines[] = {"\n", "\r\n", " "};
  std::string text = base64_text(bytes, {.url_safe = rng() % 2 == 0,
                                         .padding = rng() % 2 == 0,
                                         .wrap = wraps[rng() % std::size(wraps)],
                                         .newline = newlines[rng() % std::size(newlines)]});
  // Now and then: a byte no alphabet has, or padding, anywhere; and a mixed alphabet.
  if (!text.empty() && rng() % 4 == 0) {
    const char bad[] = {'*', '=', '"', '\\', '\0', '\x7f', '\x80', '\xff', '.', '@', '[', '`', '{', ':'};
    text[rng() % text.size()] = bad[rng() % std::size(bad)];
  }
  if (!text.empty() && rng() % 4 == 0) text[rng() % text.size()] = "-_+/"[rng() % 4];
  return text;
}

TEST(Base64Blocks, TheDecoderGivesTheSameWithAndWithoutBlocksOnRandomText) {
  if (!base64_blocks_available()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937_64 rng(2026);
  int malformed = 0;
  for (int round = 0; round < 600; ++round) {
    const std::string text = random_text(rng);
    // At a random alignment: the loads are unaligned, and must not care.
    std::vector<std::uint8_t> storage(text.size() + 64);
    const std::size_t align = rng() % 32;
    std::copy(text.begin(), text.end(), storage.begin() + static_cast<std::ptrdiff_t>(align));
    const std::span<const std::uint8_t> placed(storage.data() + align, text.size());
    std::vector<std::size_t> pieces;
    switch (rng() % 4) {
      case 0:
        pieces = {text.size() + 1};
        break;
      case 1:
        pieces = {1};
        break;
      case 2:
        pieces = {1 + rng() % 100};
        break;
      default:
        for (int i = 0; i < 8; ++i) pieces.push_back(1 + rng() % 3000);
    }
    const Decoded fast = decode(Base64Decoder::Kernel::best, placed, pieces);
    const Decoded slow = decode(Base64Decoder::Kernel::scalar, placed, pieces);
    ASSERT_EQ(fast.status, slow.status) << "round " << round;
    ASSERT_EQ(fast.count, slow.count) << "round " << round;
    ASSERT_TRUE(fast.bytes == slow.bytes) << "round " << round;
    if (slow.status != Base64Decoder::Status::ok) ++malformed;
  }
  EXPECT_GT(malformed, 50);  // the malformed paths were taken too
  EXPECT_LT(malformed, 550);
}

}  // namespace
}  // namespace dijk::test
