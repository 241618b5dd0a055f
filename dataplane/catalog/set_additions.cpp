#include "dataplane/catalog/set_additions.h"

#include <algorithm>

#include "dataplane/catalog/catalog_record.h"
#include "hashcore/pdq_index/pdq_index.h"

namespace dijk::catalog {
namespace {

std::optional<PdqIndex> pdq_index_of(const HashSet& set) {
  const auto section = set.section(setfile::SectionKind::pdq_hashes);
  if (!section) return std::nullopt;
  return PdqIndex::open(*section);
}

}  // namespace

std::uint64_t SetAdditions::exact_count() const {
  std::uint64_t n = 0;
  for (const auto& v : exact) n += v.size();
  return n;
}

SetAdditions additions_between(const HashSet* before, const HashSet& after) {
  SetAdditions out;
  // Two layers over one base differ only where their overlays have entries: then those are all that is
  // read (a delta's hunt costs the delta, not the set).
  const bool same_base =
      before != nullptr && before->base_file().header_checksum() == after.base_file().header_checksum();
  for (Algorithm a : kAllAlgorithms) {
    auto& prefixes = out.exact[static_cast<std::size_t>(a)];
    const ExactView now = after.exact(a);
    if (same_base) {
      const ExactView then = before->exact(a);
      const auto consider = [&](std::span<const std::uint8_t> digest, std::uint16_t) {
        if (now.find(digest) != ExactView::kNotFound && then.find(digest) == ExactView::kNotFound)
          prefixes.push_back(digest_prefix(digest));
      };
      now.for_each_overlay_entry(consider);
      then.for_each_overlay_entry(consider);  // its tombstones: base digests `after` may serve again
    } else {
      now.for_each([&](std::span<const std::uint8_t> digest, std::uint16_t) {
        if (before == nullptr || before->exact(a).find(digest) == ExactView::kNotFound)
          prefixes.push_back(digest_prefix(digest));
      });
    }
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  }
  const auto now = pdq_index_of(after);
  if (!now) return out;
  const auto then = before != nullptr ? pdq_index_of(*before) : std::nullopt;
  PdqSearchOptions exact_only;
  exact_only.radius = 0;
  for (std::uint32_t id = 0; id < now->size(); ++id) {
    const PdqHash h = now->hash(id);
    bool held = false;
    if (then) then->search(h, exact_only, [&](const PdqMatch&) { held = true; });
    if (!held) out.pdq.push_back(h);
  }
  return out;
}

}  // namespace dijk::catalog
