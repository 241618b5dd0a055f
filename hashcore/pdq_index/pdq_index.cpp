#include "hashcore/pdq_index/pdq_index.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dijk {

namespace {

using Words = std::array<std::uint64_t, 4>;
using pdqindex::kChunkCount;

// Chunk c covers bits [chunk_start(c), chunk_start(c) + chunk_width(c)) of the 256; the narrower chunks
// come first because they get the larger probe radius.
constexpr std::uint32_t chunk_width(std::uint32_t c) {
  return c < 8 ? 21 : 22;
}
constexpr std::uint32_t chunk_start(std::uint32_t c) {
  return c < 8 ? 21 * c : 168 + 22 * (c - 8);
}
static_assert(chunk_start(kChunkCount - 1) + chunk_width(kChunkCount - 1) == 256);

// The key of chunk c: its lowest `bits` bits.
inline std::uint32_t chunk_key(const Words& w, std::uint32_t c, std::uint32_t bits) {
  const std::uint32_t start = chunk_start(c), word = start >> 6, offset = start & 63;
  std::uint64_t v = w[word] >> offset;
  if (offset + bits > 64) v |= w[word + 1] << (64 - offset);
  return static_cast<std::uint32_t>(v & ((std::uint64_t{1} << bits) - 1));
}

// Probe radius per chunk for a query radius: R + 1 units spread over the chunks, narrow chunks first.
// -1 means the chunk is not probed.
std::array<int, kChunkCount> probe_radii(int radius) {
  std::array<int, kChunkCount> r{};
  const int units = radius + 1;
  for (std::uint32_t c = 0; c < kChunkCount; ++c) {
    r[c] = units / static_cast<int>(kChunkCount) - 1 +
           (static_cast<int>(c) < units % static_cast<int>(kChunkCount) ? 1 : 0);
  }
  return r;
}

constexpr int kMaxProbeRadius = 3;  // beyond this (R >= 48) a scan is as fast: fall back to it

// Every key within `radius` bits of `key` (radius <= 3), into out; returns how many.
std::size_t keys_within(std::uint32_t key, int radius, std::uint32_t bits, std::uint32_t* out) {
  std::size_t n = 0;
  if (radius < 0) return 0;
  out[n++] = key;
  if (radius >= 1) {
    for (std::uint32_t a = 0; a < bits; ++a) {
      const std::uint32_t ka = key ^ (1u << a);
      out[n++] = ka;
      if (radius < 2) continue;
      for (std::uint32_t b = a + 1; b < bits; ++b) {
        const std::uint32_t kb = ka ^ (1u << b);
        out[n++] = kb;
        if (radius < 3) continue;
        for (std::uint32_t c = b + 1; c < bits; ++c) out[n++] = kb ^ (1u << c);
      }
    }
  }
  return n;
}
constexpr std::size_t kMaxProbes = 1 + 22 + 231 + 1540;

std::uint64_t align64(std::uint64_t v) {
  return (v + 63) & ~std::uint64_t{63};
}

std::uint32_t key_bits_for(std::uint64_t count) {
  const auto log2n = static_cast<std::uint32_t>(std::bit_width(count) - 1);
  return std::clamp<std::uint32_t>(log2n, 8, 21);
}

}  // namespace

std::vector<std::uint8_t> PdqIndexBuilder::build() {
  std::sort(entries_.begin(), entries_.end(),
            [](const PdqIndexEntry& a, const PdqIndexEntry& b) { return a.hash.bytes < b.hash.bytes; });
  // Fold duplicates: the first entry of a run (stable order is not needed: lists are ranked by index).
  std::vector<PdqIndexEntry> unique;
  unique.reserve(entries_.size());
  for (const auto& e : entries_) {
    if (!unique.empty() && unique.back().hash == e.hash) {
      unique.back().list_index = std::min(unique.back().list_index, e.list_index);
      unique.back().quality = std::max(unique.back().quality, e.quality);
    } else {
      unique.push_back(e);
    }
  }
  entries_.clear();
  entries_.shrink_to_fit();

  const std::uint64_t count = unique.size();
  pdqindex::Header header{};
  std::memcpy(header.magic, pdqindex::kMagic, sizeof header.magic);
  header.version = 1;
  header.count = count;
  header.chunk_count = count < pdqindex::kLinearBelow ? 0 : kChunkCount;
  header.key_bits = header.chunk_count == 0 ? 0 : key_bits_for(count);
  header.hashes_offset = align64(sizeof header);
  header.lists_offset = align64(header.hashes_offset + 32 * count);
  header.quality_offset = align64(header.lists_offset + 2 * count);
  header.tables_offset = align64(header.quality_offset + count);
  const std::uint64_t buckets = header.chunk_count == 0 ? 0 : (std::uint64_t{1} << header.key_bits);
  const std::uint64_t table_bytes = 4 * (buckets + 1 + count);
  const std::uint64_t total = header.tables_offset + header.chunk_count * table_bytes;

  std::vector<std::uint8_t> out(total, 0);
  std::memcpy(out.data(), &header, sizeof header);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::memcpy(out.data() + header.hashes_offset + 32 * i, unique[i].hash.bytes.data(), 32);
    std::memcpy(out.data() + header.lists_offset + 2 * i, &unique[i].list_index, 2);
    out[header.quality_offset + i] = unique[i].quality;
  }
  // One counting sort per chunk: bucket_start is the prefix sum of key counts, ids are in key order.
  std::vector<std::uint32_t> starts(buckets + 1), cursor;
  std::vector<std::uint32_t> keys(count);
  for (std::uint32_t c = 0; c < header.chunk_count; ++c) {
    std::fill(starts.begin(), starts.end(), 0u);
    for (std::uint64_t i = 0; i < count; ++i) {
      keys[i] = chunk_key(unique[i].hash.words(), c, header.key_bits);
      ++starts[keys[i] + 1];
    }
    for (std::uint64_t b = 0; b < buckets; ++b) starts[b + 1] += starts[b];
    cursor.assign(starts.begin(), starts.end() - 1);
    std::uint8_t* table = out.data() + header.tables_offset + c * table_bytes;
    std::memcpy(table, starts.data(), 4 * (buckets + 1));
    auto* ids = reinterpret_cast<std::uint32_t*>(table + 4 * (buckets + 1));
    for (std::uint64_t i = 0; i < count; ++i) ids[cursor[keys[i]]++] = static_cast<std::uint32_t>(i);
  }
  return out;
}

std::optional<PdqIndex> PdqIndex::open(std::span<const std::uint8_t> section, std::string* error) {
  const auto fail = [&](const char* why) -> std::optional<PdqIndex> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  if (section.size() < sizeof(pdqindex::Header)) return fail("pdq section shorter than its header");
  if (reinterpret_cast<std::uintptr_t>(section.data()) % 8 != 0) return fail("pdq section not aligned");
  pdqindex::Header h;
  std::memcpy(&h, section.data(), sizeof h);
  if (std::memcmp(h.magic, pdqindex::kMagic, sizeof h.magic) != 0 || h.version != 1)
    return fail("not a pdq index v1");
  if (h.count > 0xffffffffull) return fail("pdq count too large");
  if (h.chunk_count != 0 && (h.chunk_count != kChunkCount || h.key_bits < 1 || h.key_bits > 21)) {
    return fail("bad pdq chunk layout");
  }
  const std::uint64_t size = section.size(), n = h.count;
  const auto fits = [&](std::uint64_t offset, std::uint64_t bytes) {
    return offset <= size && bytes <= size - offset;
  };
  if (!fits(h.hashes_offset, 32 * n) || !fits(h.lists_offset, 2 * n) || h.lists_offset % 2 != 0 ||
      !fits(h.quality_offset, n) || h.tables_offset % 4 != 0) {
    return fail("pdq arrays out of bounds");
  }
  const std::uint64_t buckets = h.chunk_count == 0 ? 0 : (std::uint64_t{1} << h.key_bits);
  const std::uint64_t table_bytes = 4 * (buckets + 1 + n);
  if (h.chunk_count != 0 && !fits(h.tables_offset, table_bytes * h.chunk_count))
    return fail("pdq tables out of bounds");

  PdqIndex index;
  index.count_ = n;
  index.chunk_count_ = h.chunk_count;
  index.key_bits_ = h.key_bits;
  index.hashes_ = section.data() + h.hashes_offset;
  index.lists_ = reinterpret_cast<const std::uint16_t*>(section.data() + h.lists_offset);
  index.quality_ = section.data() + h.quality_offset;
  for (std::uint32_t c = 0; c < h.chunk_count; ++c) {
    const auto* table =
        reinterpret_cast<const std::uint32_t*>(section.data() + h.tables_offset + c * table_bytes);
    // Searches trust these ranges, so check them once: monotonic starts ending at n, ids below n.
    if (table[0] != 0 || table[buckets] != n) return fail("pdq bucket table does not cover the hashes");
    for (std::uint64_t b = 0; b < buckets; ++b) {
      if (table[b] > table[b + 1]) return fail("pdq bucket table not monotonic");
    }
    const std::uint32_t* ids = table + buckets + 1;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (ids[i] >= n) return fail("pdq id out of range");
    }
    index.bucket_start_[c] = table;
    index.ids_[c] = ids;
  }
  return index;
}

std::array<std::uint64_t, 4> PdqIndex::words(std::uint32_t id) const {
  Words w;
  std::memcpy(w.data(), hashes_ + std::size_t{32} * id, 32);
  return w;
}

PdqHash PdqIndex::hash(std::uint32_t id) const {
  PdqHash h;
  std::memcpy(h.bytes.data(), hashes_ + std::size_t{32} * id, 32);
  return h;
}

void PdqIndex::linear_search(const Words& q, const PdqSearchOptions& options,
                             const std::function<void(const PdqMatch&)>& on_match) const {
  for (std::uint32_t id = 0; id < count_; ++id) {
    const int d = pdq_distance(q, words(id));
    if (d <= options.radius && quality_[id] >= options.min_quality) {
      on_match({id, d, lists_[id], quality_[id], PdqDihedral::original});
    }
  }
}

void PdqIndex::search(const PdqHash& query, const PdqSearchOptions& options,
                      const std::function<void(const PdqMatch&)>& on_match) const {
  if (count_ == 0 || options.radius < 0) return;
  const Words q = query.words();
  const auto radii = probe_radii(options.radius);
  if (chunk_count_ == 0 || radii[0] > kMaxProbeRadius) return linear_search(q, options, on_match);

  std::array<std::uint32_t, kChunkCount> query_keys;
  for (std::uint32_t c = 0; c < kChunkCount; ++c) query_keys[c] = chunk_key(q, c, key_bits_);

  // Candidates go through a small ring so their hash lines are prefetched some way ahead of the check:
  // the candidates are random rows of a large array, and overlapping the misses is what makes it fast.
  constexpr std::uint32_t kRing = 16;
  std::array<std::uint32_t, kRing> ring;
  std::uint32_t ring_size = 0, ring_head = 0;
  std::uint32_t current_chunk = 0;
  const auto check = [&](std::uint32_t id) {
    const Words w = words(id);
    const int d = pdq_distance(q, w);
    if (d > options.radius || quality_[id] < options.min_quality) return;
    // Report from the first table whose probe set holds this hash, so each hash is reported once.
    for (std::uint32_t c = 0; c < current_chunk; ++c) {
      if (radii[c] >= 0 && std::popcount(chunk_key(w, c, key_bits_) ^ query_keys[c]) <= radii[c]) return;
    }
    on_match({id, d, lists_[id], quality_[id], PdqDihedral::original});
  };
  const auto push = [&](std::uint32_t id) {
    __builtin_prefetch(hashes_ + std::size_t{32} * id);
    if (ring_size == kRing) {
      check(ring[ring_head]);
      ring[ring_head] = id;
      ring_head = (ring_head + 1) % kRing;
    } else {
      ring[(ring_head + ring_size++) % kRing] = id;
    }
  };
  const auto drain = [&] {
    for (; ring_size > 0; --ring_size, ring_head = (ring_head + 1) % kRing) check(ring[ring_head]);
    ring_head = 0;
  };

  std::array<std::uint32_t, kMaxProbes> probes;
  for (std::uint32_t c = 0; c < kChunkCount; ++c) {
    if (radii[c] < 0) continue;
    current_chunk = c;
    const std::size_t n = keys_within(query_keys[c], radii[c], key_bits_, probes.data());
    const std::uint32_t* starts = bucket_start_[c];
    const std::uint32_t* ids = ids_[c];
    constexpr std::size_t kAhead = 8;
    for (std::size_t i = 0; i < std::min(n, kAhead); ++i) __builtin_prefetch(starts + probes[i]);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(starts + probes[i + kAhead]);
      const std::uint32_t key = probes[i];
      for (std::uint32_t j = starts[key], end = starts[key + 1]; j < end; ++j) push(ids[j]);
    }
    drain();  // the dedup rule depends on the current chunk
  }
}

void PdqIndex::search_dihedral(const PdqDihedralResult& query, const PdqSearchOptions& options,
                               const std::function<void(const PdqMatch&)>& on_match) const {
  std::vector<PdqMatch> found;  // only grows when something matches
  for (int v = 0; v < kPdqDihedralCount; ++v) {
    search(query.hashes[static_cast<std::size_t>(v)], options, [&](const PdqMatch& m) {
      const auto it =
          std::find_if(found.begin(), found.end(), [&](const PdqMatch& f) { return f.id == m.id; });
      PdqMatch tagged = m;
      tagged.variant = static_cast<PdqDihedral>(v);
      if (it == found.end()) {
        found.push_back(tagged);
      } else if (m.distance < it->distance) {
        *it = tagged;
      }
    });
  }
  for (const auto& m : found) on_match(m);
}

}  // namespace dijk
