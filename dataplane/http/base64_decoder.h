#pragma once
// Base64 text to bytes, fed in pieces of any size, so a value of many megabytes is decoded as it arrives
// and never held. An uploader chooses how to write it, so both alphabets are taken (standard "+/" and
// URL-safe "-_", even mixed), with or without "=" padding, and whitespace anywhere (line breaks every 76
// or 64 characters, CRLF) is skipped. Anything else is malformed: a byte outside the alphabets, data
// after padding, padding in the wrong place, or a final group of one character. Once malformed, the
// decoder stays so and decodes nothing more; what it gave out so far is not the whole file.
//
// Whole blocks of alphabet characters go through AVX2 (Base64Blocks) when the CPU has it; everything else,
// and every decision about whitespace, padding and malformed text, through the byte table here. One
// decoder per value, owned by whoever scans the body; runs on that worker.
#include <array>
#include <cstdint>
#include <span>

#include "dataplane/http/base64_blocks.h"

namespace dijk {

class Base64Decoder {
 public:
  enum class Status : std::uint8_t { ok, malformed };
  // Which fast path decodes the bulk: AVX2 blocks when this CPU has them, or the byte table alone (for
  // tests that hold the two against each other).
  enum class Kernel : std::uint8_t { best, scalar };

  explicit Base64Decoder(Kernel kernel = Kernel::best)
      : blocks_(kernel == Kernel::best && base64_blocks_available()) {}

  // Decodes `text`, handing output to out(std::span<const std::uint8_t>) in pieces of kBufferSize bytes
  // (fewer may wait in the buffer until more text or finish()); on malformed text, what was decoded
  // before it. Pieces are only valid during the call.
  template <typename Out>
  Status feed(std::span<const std::uint8_t> text, Out&& out);
  // The text ended: the bytes of a last group without padding are given out, and the group is checked
  // (one lone character is malformed).
  template <typename Out>
  Status finish(Out&& out);

  Status status() const { return status_; }
  std::uint64_t bytes_out() const { return out_total_; }

  // What one text byte is: a 6-bit value, whitespace (skipped), padding, or malformed.
  static constexpr std::uint8_t kSkip = 64, kPad = 65, kBad = 255;
  static std::uint8_t class_of(std::uint8_t c) { return kTable[c]; }
  static constexpr std::size_t kBufferSize = 6 * 1024;

 private:
  static const std::array<std::uint8_t, 256> kTable;

  // Decodes as much of `text` as fits in the buffer; returns the bytes of text used.
  std::size_t decode_some(std::span<const std::uint8_t> text);
  bool take(std::uint8_t c);  // one byte through the slow path; false once malformed
  void flush_group();         // the 1 or 2 bytes of a group of 2 or 3 sextets, into buffer_
  template <typename Out>
  void give(Out& out);

  bool blocks_;
  Status status_ = Status::ok;
  std::uint32_t bits_ = 0;    // sextets of the group in progress, oldest highest
  std::uint8_t have_ = 0;     // sextets in bits_ (0-3)
  std::uint8_t padding_ = 0;  // "=" seen: only "=" (to complete the group) and whitespace may follow
  std::size_t out_len_ = 0;   // bytes in buffer_
  std::uint64_t out_total_ = 0;
  // Past kBufferSize: the last group the slow path completes (up to 3 bytes), or the 8 bytes a block's
  // 32-byte store writes beyond its 24 (a block is only decoded when its 24 fit before kBufferSize).
  static constexpr std::size_t kSpill = kBase64BlockRoom - kBase64BlockOut;
  static_assert(kSpill >= 3);
  std::array<std::uint8_t, kBufferSize + kSpill> buffer_{};
};

template <typename Out>
void Base64Decoder::give(Out& out) {
  if (out_len_ == 0) return;
  out_total_ += out_len_;
  out(std::span<const std::uint8_t>(buffer_.data(), out_len_));
  out_len_ = 0;
}

template <typename Out>
Base64Decoder::Status Base64Decoder::feed(std::span<const std::uint8_t> text, Out&& out) {
  // Output is handed on in whole buffers (and at the end): a digest fed in large pieces runs faster than
  // one fed a segment's worth at a time.
  while (status_ == Status::ok && !text.empty()) {
    text = text.subspan(decode_some(text));
    if (out_len_ >= kBufferSize || status_ != Status::ok) give(out);
  }
  return status_;
}

template <typename Out>
Base64Decoder::Status Base64Decoder::finish(Out&& out) {
  if (status_ != Status::ok) return status_;
  if (have_ == 1) {
    status_ = Status::malformed;  // 6 bits cannot make a byte
    return status_;
  }
  flush_group();
  give(out);
  return status_;
}

}  // namespace dijk
