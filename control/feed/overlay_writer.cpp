#include "control/feed/overlay_writer.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace dijk::feed {
namespace {

using Key = std::array<std::uint8_t, kMaxDigestSize>;

Key key_of(std::span<const std::uint8_t> digest) {
  Key k{};
  std::memcpy(k.data(), digest.data(), digest.size());
  return k;
}

// One algorithm's overlay entries (exact or allow): digest -> list index or kTombstoneList.
using Entries = std::map<Key, std::uint16_t>;

// The served value of `digest` in `view` as an optional list index.
std::int32_t served(const ExactView& view, const Key& digest) {
  return view.find({digest.data(), view.digest_size()});
}

// Sets `entries[digest]` so that the overlay over `base` serves `now` (a list index or kNotFound).
void settle(Entries& entries, const ExactView& base, const Key& digest, std::int32_t now) {
  const std::int32_t under = served(base, digest);
  if (now == under) {
    entries.erase(digest);
  } else if (now == ExactView::kNotFound) {
    entries[digest] = setfile::kTombstoneList;
  } else {
    entries[digest] = static_cast<std::uint16_t>(now);
  }
}

std::int32_t find_sorted(const std::vector<Entry>& v, const Key& digest, std::size_t size) {
  const auto it = std::lower_bound(v.begin(), v.end(), digest, [size](const Entry& e, const Key& k) {
    return std::memcmp(e.bytes.data(), k.data(), size) < 0;
  });
  if (it == v.end() || std::memcmp(it->bytes.data(), digest.data(), size) != 0) return ExactView::kNotFound;
  return it->list;
}

}  // namespace

OverlayWritten write_overlay(const HashSet& installed, const std::vector<Delta>& deltas,
                             const std::string& path, std::uint64_t version) {
  const HashSet& base = installed.base_file();
  OverlayWritten out;

  // Only what the deltas touch is read out of the installed set; apply_delta then runs on that.
  SetContents touched;
  touched.lists = installed.lists();
  for (const auto& s : installed.other_sections())
    touched.sections.push_back({s.kind, s.algorithm, {s.bytes.begin(), s.bytes.end()}, s.count});
  std::array<std::vector<Key>, kAlgorithmCount> exact_keys, allow_keys;
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    const std::size_t size = digest_size(a);
    for (bool allow : {false, true}) {
      auto& keys = allow ? allow_keys[i] : exact_keys[i];
      for (const Delta& d : deltas) {
        for (const auto* v :
             allow ? std::array{&d.allow_add[i], &d.allow_remove[i]} : std::array{&d.add[i], &d.remove[i]}) {
          for (const Entry& e : *v) keys.push_back(key_of({e.bytes.data(), size}));
        }
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      const ExactView view = allow ? installed.allow(a) : installed.exact(a);
      auto& contents = allow ? touched.allow[i] : touched.exact[i];
      for (const Key& k : keys) {
        const std::int32_t list = served(view, k);
        if (list == ExactView::kNotFound) continue;
        Entry e;
        e.bytes = k;
        e.list = allow ? 0 : static_cast<std::uint16_t>(list);
        contents.push_back(e);  // keys are sorted (byte order, as less_digest): so is contents
      }
    }
  }
  for (const Delta& d : deltas) apply_delta(touched, d);

  SetBuilder builder;
  for (const ListInfo& l : touched.lists) builder.add_list(l.name, l.category);
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    const std::size_t size = digest_size(a);
    for (bool allow : {false, true}) {
      // The installed overlay's entries stay unless a delta touched their digest.
      Entries entries;
      const ExactView view = allow ? installed.allow(a) : installed.exact(a);
      view.for_each_overlay_entry(
          [&](std::span<const std::uint8_t> digest, std::uint16_t list) { entries[key_of(digest)] = list; });
      const ExactView under = allow ? base.allow(a) : base.exact(a);
      const auto& contents = allow ? touched.allow[i] : touched.exact[i];
      for (const Key& k : allow ? allow_keys[i] : exact_keys[i]) {
        std::int32_t now = find_sorted(contents, k, size);
        if (allow && now != ExactView::kNotFound) now = 0;  // allow tables hold no list
        settle(entries, under, k, now);
      }
      Digest d;
      d.algorithm = a;
      for (const auto& [k, list] : entries) {
        d.bytes = k;
        if (!allow) {
          builder.add(d, list);
        } else if (list == setfile::kTombstoneList) {
          builder.add_allow_tombstone(d);
        } else {
          builder.add_allow(d);
        }
      }
      out.entries += entries.size();
    }
  }

  // Sections of other kinds: the overlay carries those that differ from the base's, and drops those the
  // base has and the new version does not.
  const auto base_sections = base.other_sections();
  std::vector<setfile::OverlayDropped> dropped;
  for (const auto& b : base_sections) {
    const bool kept = std::any_of(touched.sections.begin(), touched.sections.end(), [&](const RawSection& s) {
      return s.kind == b.kind && s.algorithm == b.algorithm;
    });
    if (!kept) dropped.push_back({static_cast<std::uint32_t>(b.kind), b.algorithm});
  }
  for (RawSection& s : touched.sections) {
    const auto same = std::find_if(base_sections.begin(), base_sections.end(), [&](const auto& b) {
      return b.kind == s.kind && b.algorithm == s.algorithm && b.count == s.count &&
             std::equal(b.bytes.begin(), b.bytes.end(), s.bytes.begin(), s.bytes.end());
    });
    if (same == base_sections.end()) builder.add_raw_section(std::move(s));
  }
  builder.make_overlay_of(base, std::move(dropped));
  builder.write(path, version);
  return out;
}

}  // namespace dijk::feed
