#include "dataplane/catalog/retro_hunt.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "dataplane/catalog/pdq_join.h"

namespace dijk::catalog {
namespace {

// The added prefixes of one algorithm, with a bitmap over their top 24 bits in front: a record whose
// prefix misses the bitmap (all but about added / 2^24 of them) costs one read of 2 MiB that stays in
// cache, and only the rest are searched in the sorted list.
class PrefixFilter {
 public:
  explicit PrefixFilter(const std::vector<std::uint64_t>& sorted) : sorted_(sorted) {
    if (sorted_.empty()) return;
    bits_.assign((std::size_t{1} << kTopBits) / 64, 0);
    for (std::uint64_t p : sorted_) {
      const std::uint64_t top = p >> (64 - kTopBits);
      bits_[top / 64] |= std::uint64_t{1} << (top % 64);
    }
  }
  bool contains(std::uint64_t prefix) const {
    if (sorted_.empty()) return false;
    const std::uint64_t top = prefix >> (64 - kTopBits);
    if ((bits_[top / 64] & (std::uint64_t{1} << (top % 64))) == 0) return false;
    return std::binary_search(sorted_.begin(), sorted_.end(), prefix);
  }

 private:
  static constexpr unsigned kTopBits = 24;
  const std::vector<std::uint64_t>& sorted_;
  std::vector<std::uint64_t> bits_;
};

}  // namespace

std::vector<CatalogKey> hunt_candidates(const CatalogStore& store, const SetAdditions& added,
                                        HuntCounts& counts, const HuntOptions& options) {
  std::vector<PrefixFilter> filters;
  for (const auto& prefixes : added.exact) filters.emplace_back(prefixes);
  const bool want_pdq = !added.pdq.empty();

  std::vector<CatalogKey> out;
  // The images' hashes and keys, kept for the PDQ join after the pass.
  std::vector<PdqHash> image_hashes;
  std::vector<CatalogKey> image_keys;
  if (want_pdq) {
    const std::uint64_t expected = store.stats().records;  // an estimate: most records are images at most
    image_hashes.reserve(expected);
    image_keys.reserve(expected);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&t0](double& into) {
    const auto now = std::chrono::steady_clock::now();
    into = std::chrono::duration<double>(now - t0).count();
    t0 = now;
  };
  RecordView view;
  store.for_each_raw([&](std::span<const std::uint8_t> k, std::span<const std::uint8_t> v) {
    ++counts.records;
    const auto key = decode_key(k);
    if (!key || !view_record(v, view)) {
      ++counts.bad_records;
      return;
    }
    for (std::size_t a = 0; a < kAlgorithmCount; ++a) {
      if (view.digests[a] && filters[a].contains(*view.digests[a])) {
        out.push_back(*key);
        ++counts.exact_candidates;
        break;
      }
    }
    if (want_pdq && view.pdq != nullptr && view.pdq_quality >= options.pdq_min_quality) {
      PdqHash h;
      std::memcpy(h.bytes.data(), view.pdq, h.bytes.size());
      image_hashes.push_back(h);
      image_keys.push_back(*key);
    }
  });
  counts.images = image_hashes.size();
  lap(counts.pass_seconds);

  if (want_pdq && !image_hashes.empty()) {
    const auto near = stored_within_radius(image_hashes, added.pdq, options.pdq_radius);
    for (std::uint32_t i : near) out.push_back(image_keys[i]);
    counts.pdq_candidates = near.size();
    lap(counts.search_seconds);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace dijk::catalog
