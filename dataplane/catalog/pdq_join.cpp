#include "dataplane/catalog/pdq_join.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "core/huge_page_allocator.h"

namespace dijk::catalog {
namespace {

using Words = std::array<std::uint64_t, 4>;
// The join's scratch arrays: hundreds of MB read at random, on huge pages, not zeroed twice.
template <typename T>
using Large = std::vector<T, HugePageAllocator<T>>;

struct Chunk {
  unsigned offset = 0;  // first bit, in the 256 bits of the four words
  unsigned width = 0;
  // The bits of the chunk its key holds: all of them, up to 24. With few chunks (a small radius) a chunk
  // is wider; agreeing within r bits on it implies agreeing within r bits on any part of it, so keying on
  // a part keeps every match and only admits more candidates.
  unsigned key_bits = 0;
  int radius = -1;  // -1: not probed
};

// C chunks of (nearly) equal width, their radii summing (each plus one) to radius + 1; the wider chunks
// get the smaller radii, which keeps the probe count even.
std::vector<Chunk> plan_chunks(std::size_t stored, int radius) {
  const unsigned want_bits = std::clamp<unsigned>(static_cast<unsigned>(std::bit_width(stored)), 10, 24);
  unsigned count = (256 + want_bits - 1) / want_bits;
  count = std::min<unsigned>(count, static_cast<unsigned>(radius) + 1);  // every chunk gets a probe
  std::vector<Chunk> chunks(count);
  unsigned offset = 0;
  for (unsigned c = 0; c < count; ++c) {
    chunks[c].offset = offset;
    chunks[c].width = 256 / count + (c >= count - 256 % count ? 1 : 0);
    chunks[c].key_bits = std::min(chunks[c].width, 24u);
    offset += chunks[c].width;
  }
  const int base = (radius + 1) / static_cast<int>(count);   // r + 1 for each chunk...
  const int extra = (radius + 1) % static_cast<int>(count);  // ...and one more for the first `extra`
  for (unsigned c = 0; c < count; ++c) chunks[c].radius = base - 1 + (static_cast<int>(c) < extra ? 1 : 0);
  return chunks;
}

std::uint32_t chunk_key(const Words& w, const Chunk& c) {
  const unsigned word = c.offset / 64, bit = c.offset % 64;
  std::uint64_t v = w[word] >> bit;
  // Only the key's bits count (a wide chunk's are its first 24): they cross into the next word only when
  // they start past bit 40 of this one, so the shift is never 64.
  if (bit + c.key_bits > 64 && word + 1 < 4) v |= w[word + 1] << (64 - bit);
  return static_cast<std::uint32_t>(v & ((std::uint64_t{1} << c.key_bits) - 1));
}

// Every key within `radius` bits of `key` (width bits), passed to emit.
template <typename Emit>
void keys_within(std::uint32_t key, unsigned width, int radius, unsigned from, Emit&& emit) {
  emit(key);
  if (radius == 0) return;
  for (unsigned b = from; b < width; ++b) keys_within(key ^ (1u << b), width, radius - 1, b + 1, emit);
}

// LSD radix sort of (key << 32 | index) values by their key bits (at most 24): two or three passes of
// 12 bits, through one scratch buffer.
void sort_by_key(Large<std::uint64_t>& v, Large<std::uint64_t>& scratch, unsigned key_bits) {
  constexpr unsigned kDigit = 12;
  scratch.resize(v.size());
  for (unsigned shift = 32; shift < 32 + key_bits; shift += kDigit) {
    std::vector<std::uint32_t> count((1u << kDigit) + 1, 0);
    for (std::uint64_t x : v) ++count[((x >> shift) & ((1u << kDigit) - 1)) + 1];
    for (std::size_t i = 1; i < count.size(); ++i) count[i] += count[i - 1];
    for (std::uint64_t x : v) scratch[count[(x >> shift) & ((1u << kDigit) - 1)]++] = x;
    v.swap(scratch);
  }
}

}  // namespace

std::vector<std::uint32_t> stored_within_radius(std::span<const PdqHash> stored,
                                                std::span<const PdqHash> queries, int radius) {
  if (radius < 0 || radius > 63) throw std::invalid_argument("PDQ join radius out of 0..63");
  if (stored.size() > 0xffffffffu || queries.size() > 0xffffffffu)
    throw std::length_error("PDQ join too large");
  std::vector<std::uint32_t> out;
  if (stored.empty() || queries.empty()) return out;
  std::vector<Words> q_words(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) q_words[i] = queries[i].words();

  Large<std::uint8_t> matched(stored.size(), 0);
  // Per chunk, the stored hashes laid out in key order, so that the walk along the sorted probes reads
  // them forward, never at random.
  Large<Words> by_key(stored.size());
  Large<std::uint32_t> by_key_index(stored.size());
  Large<std::uint32_t> starts;
  Large<std::uint64_t> s_keys, q_keys, scratch;
  s_keys.reserve(stored.size());
  for (const Chunk& c : plan_chunks(stored.size(), radius)) {
    if (c.radius < 0) continue;
    // The stored hashes' (key, index) pairs radix-sorted (cache-friendly passes of 12 bits), then their
    // words gathered in that order, and each key's first position found by one forward pass.
    s_keys.clear();
    for (std::uint32_t i = 0; i < stored.size(); ++i)
      s_keys.push_back(std::uint64_t{chunk_key(stored[i].words(), c)} << 32 | i);
    sort_by_key(s_keys, scratch, c.key_bits);
    const std::size_t buckets = std::size_t{1} << c.key_bits;
    starts.assign(buckets + 1, 0);
    for (std::size_t at = 0; at < s_keys.size(); ++at) {
      const auto i = static_cast<std::uint32_t>(s_keys[at]);
      by_key[at] = stored[i].words();
      by_key_index[at] = i;
      ++starts[(s_keys[at] >> 32) + 1];
    }
    for (std::size_t k = 1; k <= buckets; ++k) starts[k] += starts[k - 1];
    // The queries' probe keys (every key within the chunk's radius of theirs), sorted; walking them
    // reads the stored side forward, and the queries' words are few and stay in cache.
    q_keys.clear();
    for (std::uint32_t q = 0; q < queries.size(); ++q)
      keys_within(chunk_key(q_words[q], c), c.key_bits, c.radius, 0,
                  [&](std::uint32_t k) { q_keys.push_back(std::uint64_t{k} << 32 | q); });
    sort_by_key(q_keys, scratch, c.key_bits);
    for (const std::uint64_t qk : q_keys) {
      const auto k = static_cast<std::uint32_t>(qk >> 32);
      const Words& q = q_words[static_cast<std::uint32_t>(qk)];
      for (std::uint32_t at = starts[k], end = starts[k + 1]; at < end; ++at) {
        if (pdq_distance(by_key[at], q) <= radius) matched[by_key_index[at]] = 1;
      }
    }
  }
  for (std::uint32_t i = 0; i < stored.size(); ++i)
    if (matched[i]) out.push_back(i);
  return out;
}

}  // namespace dijk::catalog
