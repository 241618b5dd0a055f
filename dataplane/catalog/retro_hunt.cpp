#include "dataplane/catalog/retro_hunt.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/huge_page_allocator.h"
#include "dataplane/catalog/pdq_join.h"
#include "hashcore/set/word_filter.h"

namespace dijk::catalog {
namespace {

// The added prefixes of one algorithm, with a WordFilter in front: a record whose prefix the filter
// turns away (all but about 0.3 % of them) costs one read of a table small enough to stay in cache (a
// bitmap over the prefixes' top 24 bits, 2 MiB an algorithm, missed it on nearly every record: a fifth of
// the pass), and only the rest are searched in the sorted list.
class PrefixFilter {
 public:
  explicit PrefixFilter(const std::vector<std::uint64_t>& sorted) : sorted_(sorted), filter_(sorted.size()) {
    for (std::uint64_t p : sorted_) filter_.add(p);
  }
  bool contains(std::uint64_t prefix) const {
    return !sorted_.empty() && filter_.may_hold(prefix) &&
           std::binary_search(sorted_.begin(), sorted_.end(), prefix);
  }

 private:
  const std::vector<std::uint64_t>& sorted_;
  WordFilter filter_;
};

}  // namespace

std::vector<CatalogKey> hunt_candidates(const CatalogStore& store, const SetAdditions& added,
                                        HuntCounts& counts, const HuntOptions& options) {
  std::vector<PrefixFilter> filters;
  for (const auto& prefixes : added.exact) filters.emplace_back(prefixes);
  const bool want_pdq = !added.pdq.empty();

  std::vector<CatalogKey> out;
  // The images' hashes and keys, kept for the PDQ join after the pass (on huge pages: hundreds of MB).
  std::vector<PdqHash, HugePageAllocator<PdqHash>> image_hashes;
  std::vector<CatalogKey, HugePageAllocator<CatalogKey>> image_keys;
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
