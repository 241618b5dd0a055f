#include "dataplane/catalog/retro_hunt.h"

#include <algorithm>

#include "hashcore/pdq_index/pdq_index.h"

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

bool less_hash(const PdqHash& a, const PdqHash& b) {
  return a.bytes < b.bytes;
}

}  // namespace

std::vector<CatalogKey> hunt_candidates(const CatalogStore& store, const SetAdditions& added,
                                        HuntCounts& counts, const HuntOptions& options) {
  std::vector<PrefixFilter> filters;
  for (const auto& prefixes : added.exact) filters.emplace_back(prefixes);
  const bool want_pdq = !added.pdq.empty();

  std::vector<CatalogKey> out;
  // The images' hashes and keys, kept for the PDQ search after the pass (sorted together below).
  struct Image {
    PdqHash hash;
    CatalogKey key;
  };
  std::vector<Image> images;
  store.for_each(
      [&](const CatalogKey& key, const CatalogRecord& r) {
        ++counts.records;
        for (std::size_t a = 0; a < kAlgorithmCount; ++a) {
          if (r.digests[a] && filters[a].contains(*r.digests[a])) {
            out.push_back(key);
            ++counts.exact_candidates;
            break;
          }
        }
        if (want_pdq && r.pdq && r.pdq_quality >= options.pdq_min_quality) images.push_back({*r.pdq, key});
      },
      [&](const CatalogKey&, const std::string&) { ++counts.bad_records; });
  counts.images = images.size();

  if (want_pdq && !images.empty()) {
    // Index the catalog's images (the larger side), search each added hash in it: the index's ids are
    // its sorted, folded hashes, so a match's hash is looked up among the images sorted the same way.
    std::sort(images.begin(), images.end(),
              [](const Image& a, const Image& b) { return less_hash(a.hash, b.hash); });
    PdqIndexBuilder builder;
    builder.reserve(images.size());
    for (const Image& i : images) builder.add(i.hash, 0);
    const std::vector<std::uint8_t> section = builder.build();
    const auto index = PdqIndex::open(section);
    if (index) {
      PdqSearchOptions search;
      search.radius = options.pdq_radius;
      for (const PdqHash& q : added.pdq) {
        index->search(q, search, [&](const PdqMatch& m) {
          const PdqHash h = index->hash(m.id);
          auto [lo, hi] =
              std::equal_range(images.begin(), images.end(), Image{h, {}},
                               [](const Image& a, const Image& b) { return less_hash(a.hash, b.hash); });
          for (auto it = lo; it != hi; ++it) {
            out.push_back(it->key);
            ++counts.pdq_candidates;
          }
        });
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace dijk::catalog
