#include "hashcore/set/content_checksum.h"

#include <algorithm>
#include <thread>

namespace dijk::setfile {
namespace {
std::uint64_t combine(const std::vector<std::uint64_t>& sums) {
  return XXH3_64bits(sums.data(), sums.size() * sizeof(std::uint64_t));
}
}  // namespace

ContentChecksum::ContentChecksum() : chunk_(XXH3_createState()) {
  XXH3_64bits_reset(chunk_);
}

ContentChecksum::~ContentChecksum() {
  XXH3_freeState(chunk_);
}

void ContentChecksum::update(const void* bytes, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(bytes);
  while (size > 0) {
    const std::size_t take = std::min<std::uint64_t>(size, kChecksumChunk - in_chunk_);
    XXH3_64bits_update(chunk_, p, take);
    in_chunk_ += take;
    p += take;
    size -= take;
    if (in_chunk_ == kChecksumChunk) {
      sums_.push_back(XXH3_64bits_digest(chunk_));
      XXH3_64bits_reset(chunk_);
      in_chunk_ = 0;
    }
  }
}

std::uint64_t ContentChecksum::digest() {
  if (in_chunk_ > 0) sums_.push_back(XXH3_64bits_digest(chunk_));
  XXH3_64bits_reset(chunk_);
  in_chunk_ = 0;
  const std::uint64_t out = combine(sums_);
  sums_.clear();
  return out;
}

std::uint64_t content_checksum(const std::uint8_t* body, std::uint64_t size, unsigned threads) {
  const std::uint64_t chunks = (size + kChecksumChunk - 1) / kChecksumChunk;
  std::vector<std::uint64_t> sums(chunks);
  auto sum_every = [&](std::uint64_t first, std::uint64_t step) {
    for (std::uint64_t i = first; i < chunks; i += step) {
      const std::uint64_t at = i * kChecksumChunk;
      sums[i] = XXH3_64bits(body + at, std::min(kChecksumChunk, size - at));
    }
  };
  const auto helpers =
      static_cast<unsigned>(std::min<std::uint64_t>(std::max(threads, 1u), chunks)) - (chunks > 0 ? 1 : 0);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t <= helpers; ++t) pool.emplace_back(sum_every, t, helpers + 1);
  sum_every(0, helpers + 1);
  for (auto& t : pool) t.join();
  return combine(sums);
}

}  // namespace dijk::setfile
