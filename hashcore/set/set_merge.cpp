#include "hashcore/set/set_merge.h"

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "hashcore/set/exact_layout.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/set/slot_placement.h"

namespace dijk {
namespace {

// The most a patched table is filled: the builder plans about 95 %, and random-walk insertion stays
// quick a little beyond that.
constexpr double kMaxLoad = 0.97;

// Copies in chunks, pausing after each.
void paced_copy(std::vector<std::uint8_t>& to, std::span<const std::uint8_t> from, double pause_ratio) {
  constexpr std::size_t kChunk = std::size_t{4} << 20;
  to.resize(from.size());
  for (std::size_t at = 0; at < from.size(); at += kChunk) {
    const auto t = std::chrono::steady_clock::now();
    const std::size_t n = std::min(kChunk, from.size() - at);
    std::memcpy(to.data() + at, from.data() + at, n);
    if (pause_ratio > 0) std::this_thread::sleep_for((std::chrono::steady_clock::now() - t) * pause_ratio);
  }
}

struct OverlayEntry {
  std::array<std::uint8_t, kMaxDigestSize> digest;
  std::uint16_t list;
};

// Applies `entries` to a copy of a built table; false if an addition does not fit.
bool patch_table(std::vector<std::uint8_t>& section, const std::vector<OverlayEntry>& entries) {
  setfile::ExactHeader header;
  std::memcpy(&header, section.data(), sizeof header);
  const auto layout = setfile::exact_layout(header.digest_size, header.bucket_count);
  const setfile::SlotHashing hashing(header.digest_size, header.bucket_count, layout.dropped_bytes,
                                     header.seed);
  setfile::SlotPlacement placement(layout, hashing, section.data() + layout.buckets_offset, header.seed);
  const auto capacity = static_cast<std::uint64_t>(
      kMaxLoad * static_cast<double>(header.bucket_count * setfile::kSlotsPerBucket));
  std::uint64_t count = header.count;
  for (const OverlayEntry& e : entries) {
    std::uint8_t* slot = placement.find(e.digest.data());
    if (e.list == setfile::kTombstoneList) {
      if (slot == nullptr) continue;
      std::memset(slot, 0, layout.slot_size);
      --count;
    } else if (slot != nullptr) {
      std::memcpy(slot, &e.list, sizeof e.list);
    } else {
      if (count + 1 > capacity || !placement.insert(e.digest.data(), e.list)) return false;
      ++count;
    }
  }
  header.count = count;
  std::memcpy(section.data(), &header, sizeof header);
  return true;
}

}  // namespace

bool write_merged_base(const HashSet& layered, const std::string& path, double pause_ratio) {
  const HashSet& base = layered.base_file();
  SetBuilder builder;
  for (const ListInfo& l : layered.lists()) builder.add_list(l.name, l.category);
  for (Algorithm a : kAllAlgorithms) {
    for (bool allow : {false, true}) {
      const auto kind = allow ? setfile::SectionKind::allow_hashes : setfile::SectionKind::exact_hashes;
      const ExactView view = allow ? layered.allow(a) : layered.exact(a);
      std::vector<OverlayEntry> entries;
      view.for_each_overlay_entry([&](std::span<const std::uint8_t> digest, std::uint16_t list) {
        OverlayEntry e{};
        std::memcpy(e.digest.data(), digest.data(), digest.size());
        e.list = list;
        entries.push_back(e);
      });
      const auto under = base.section(kind, static_cast<std::uint32_t>(a));
      if (!under) {
        // No table in the base: the overlay's additions make a new one.
        Digest d;
        d.algorithm = a;
        for (const OverlayEntry& e : entries) {
          if (e.list == setfile::kTombstoneList) continue;
          d.bytes = e.digest;
          if (allow) {
            builder.add_allow(d);
          } else {
            builder.add(d, e.list);
          }
        }
        continue;
      }
      RawSection section{kind, static_cast<std::uint32_t>(a), {}, 0};
      paced_copy(section.bytes, *under, pause_ratio);
      if (!entries.empty() && !patch_table(section.bytes, entries)) return false;
      setfile::ExactHeader header;
      std::memcpy(&header, section.bytes.data(), sizeof header);
      section.count = header.count;
      if (section.count > 0) builder.add_raw_section(std::move(section));
    }
  }
  for (const auto& s : layered.other_sections())
    builder.add_raw_section({s.kind, s.algorithm, {s.bytes.begin(), s.bytes.end()}, s.count});
  builder.write(path, layered.version(), layered.created_unix());
  return true;
}

}  // namespace dijk
