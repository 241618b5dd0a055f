#pragma once
// Test-side compression with zlib, to make the bodies a client sends with Content-Encoding.
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace dijk::test {

// window_bits: 15 + 16 gzip, 15 zlib ("deflate" as HTTP means it), -15 raw deflate.
inline std::vector<std::uint8_t> compressed(const std::vector<std::uint8_t>& in, int window_bits) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(in.size())) + 64);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

inline std::vector<std::uint8_t> gzipped(const std::vector<std::uint8_t>& in) {
  return compressed(in, 15 + 16);
}

}  // namespace dijk::test
