#pragma once
// One pass over a stream of bytes computes any subset of MD5, SHA-1 and SHA-256. The selected digests
// take the bytes in turns of one block, so each block is read from memory once and the digests' dependency
// chains run side by side on the core.
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <span>

#include "hashcore/digest/algorithm.h"

namespace dijk {

struct DigestResults {
  AlgorithmSet computed;
  std::array<Digest, kAlgorithmCount> by_algorithm{};
  const Digest& get(Algorithm a) const { return by_algorithm[static_cast<std::size_t>(a)]; }
};

class StreamingDigests {
 public:
  explicit StreamingDigests(AlgorithmSet algorithms);
  ~StreamingDigests();
  StreamingDigests(const StreamingDigests&) = delete;
  StreamingDigests& operator=(const StreamingDigests&) = delete;
  StreamingDigests(StreamingDigests&& other) noexcept;
  StreamingDigests& operator=(StreamingDigests&& other) noexcept;

  // Starts a new stream, reusing the contexts (no allocation).
  void reset();
  void update(std::span<const std::uint8_t> bytes);
  DigestResults finish();

  AlgorithmSet algorithms() const { return algorithms_; }
  std::uint64_t bytes_seen() const { return bytes_seen_; }

 private:
  AlgorithmSet algorithms_;
  std::array<EVP_MD_CTX*, kAlgorithmCount> contexts_{};
  std::uint64_t bytes_seen_ = 0;
};

// Convenience for whole buffers (tests, small files).
DigestResults digest_buffer(AlgorithmSet algorithms, std::span<const std::uint8_t> bytes);

}  // namespace dijk
