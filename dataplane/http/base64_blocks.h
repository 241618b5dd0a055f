#pragma once
// The bulk of a base64 value decoded 32 text bytes at a time with AVX2, for Base64Decoder's fast path: a
// value of megabytes is almost all whole blocks of alphabet characters, and decoding them one table
// lookup a byte cost as much as digesting the result. Only blocks made wholly of alphabet characters
// (standard or URL-safe, mixed) are taken; the first block holding anything else (whitespace, "=", a
// byte outside both alphabets) and whatever follows it is left to the scalar path, which knows what each
// of those means. So the two paths agree byte for byte, and malformed text is found exactly as before.
//
// Stateless functions; run on the calling thread (a worker parsing a body). The CPU is asked once whether
// it has AVX2; without it nothing is decoded here.
#include <cstddef>
#include <cstdint>

namespace dijk {

struct Base64BlocksDone {
  std::size_t text = 0;  // text bytes used: a multiple of kBase64BlockText
  std::size_t out = 0;   // bytes written: 3/4 of `text`
};

inline constexpr std::size_t kBase64BlockText = 32;  // text bytes a block
inline constexpr std::size_t kBase64BlockOut = 24;   // decoded bytes a block
inline constexpr std::size_t kBase64BlockRoom =
    32;  // room `out` needs for a block (a whole vector is stored)

// Whether this CPU decodes blocks here (AVX2).
bool base64_blocks_available();

// Decodes whole blocks from `text` into `out` while text holds a block and out has kBase64BlockRoom bytes
// of room, stopping before the first block that is not all alphabet characters. Nothing without AVX2.
Base64BlocksDone decode_base64_blocks(const std::uint8_t* text, std::size_t text_size, std::uint8_t* out,
                                      std::size_t out_room);

}  // namespace dijk
