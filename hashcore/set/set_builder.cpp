#include "hashcore/set/set_builder.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/durable_file.h"
#include "core/unix_time.h"
#include "hashcore/set/content_checksum.h"
#include "hashcore/set/exact_layout.h"
#include "hashcore/set/slot_placement.h"

namespace dijk {
namespace {

void append(std::vector<std::uint8_t>& out, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

template <typename Entry>
void sort_and_fold(std::vector<Entry>& entries, std::size_t size, SetBuildStats& stats) {
  std::sort(entries.begin(), entries.end(), [size](const Entry& a, const Entry& b) {
    const int c = compare_digests(a.bytes.data(), b.bytes.data(), size);
    return c != 0 ? c < 0 : a.list < b.list;
  });
  // Equal digests are now adjacent with the lowest list index first: that one is kept.
  std::size_t out = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (out > 0 && std::memcmp(entries[out - 1].bytes.data(), entries[i].bytes.data(), size) == 0) {
      if (entries[out - 1].list == entries[i].list) {
        ++stats.duplicates;
      } else {
        ++stats.in_several_lists;
      }
      continue;
    }
    entries[out++] = entries[i];
  }
  entries.resize(out);
}

template <typename Entry>
std::vector<std::uint8_t> exact_section(const std::vector<Entry>& entries, Algorithm algorithm) {
  const auto size = static_cast<std::uint32_t>(digest_size(algorithm));
  const std::uint64_t count = entries.size();
  std::uint64_t buckets = setfile::planned_bucket_count(count);
  // A placement that runs out of moves starts over with another seed; after a few failed seeds (which
  // random hashes never need, but a tiny or contrived set might) with more buckets.
  constexpr int kAttempts = 64;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0 && attempt % 4 == 0) buckets += buckets / 8 + 1;
    if (buckets > setfile::kMaxBuckets) break;
    const auto layout = setfile::exact_layout(size, buckets);
    const std::uint64_t seed = std::uint64_t{0x6A09E667F3BCC908} * (static_cast<std::uint64_t>(attempt) + 1);
    const setfile::SlotHashing hashing(size, buckets, layout.dropped_bytes, seed);
    std::vector<std::uint8_t> out(layout.section_length, 0);
    setfile::SlotPlacement placement(layout, hashing, out.data() + layout.buckets_offset, seed);
    bool placed_all = true;
    for (const Entry& e : entries) {
      if (!placement.insert(e.bytes.data(), e.list)) {
        placed_all = false;
        break;
      }
    }
    if (!placed_all) continue;
    setfile::ExactHeader header{};
    header.digest_size = size;
    header.slot_size = layout.slot_size;
    header.slots_per_bucket = setfile::kSlotsPerBucket;
    header.dropped_bytes = layout.dropped_bytes;
    header.count = count;
    header.bucket_count = buckets;
    header.seed = seed;
    std::memcpy(out.data(), &header, sizeof(header));
    return out;
  }
  throw SetFileError("cannot place " + std::to_string(count) + " " + std::string(algorithm_name(algorithm)) +
                     " hashes in a hash table");
}

std::vector<std::uint8_t> lists_section(const std::vector<ListInfo>& lists) {
  std::vector<std::uint8_t> out;
  const auto n = static_cast<std::uint32_t>(lists.size());
  append(out, &n, 4);
  for (const ListInfo& l : lists) {
    for (const std::string* s : {&l.name, &l.category}) {
      const auto len = static_cast<std::uint16_t>(std::min<std::size_t>(s->size(), 0xFFFF));
      append(out, &len, 2);
      append(out, s->data(), len);
    }
  }
  return out;
}

std::uint64_t version_of_existing(const std::string& path) {
  try {
    return HashSet::open(path, SetVerification::structure)->version();
  } catch (const SetFileError&) {
    return 0;
  }
}

}  // namespace

std::uint16_t SetBuilder::add_list(const std::string& name, const std::string& category) {
  for (std::size_t i = 0; i < lists_.size(); ++i) {
    if (lists_[i].name == name) {
      if (lists_[i].category.empty()) lists_[i].category = category;
      return static_cast<std::uint16_t>(i);
    }
  }
  if (lists_.size() >= 0xFFFF) throw SetFileError("too many lists (at most 65535)");
  lists_.push_back({name, category});
  return static_cast<std::uint16_t>(lists_.size() - 1);
}

void SetBuilder::add(const Digest& digest, std::uint16_t list_index) {
  exact_[static_cast<std::size_t>(digest.algorithm)].push_back({digest.bytes, list_index});
}

void SetBuilder::add_allow(const Digest& digest) {
  allow_[static_cast<std::size_t>(digest.algorithm)].push_back({digest.bytes, 0});
}

void SetBuilder::add_allow_tombstone(const Digest& digest) {
  allow_[static_cast<std::size_t>(digest.algorithm)].push_back({digest.bytes, setfile::kTombstoneList});
}

void SetBuilder::make_overlay_of(const HashSet& base_file, std::vector<setfile::OverlayDropped> dropped) {
  setfile::OverlayHeader header{};
  header.base_version = base_file.version();
  header.base_header_checksum = base_file.header_checksum();
  header.dropped_count = static_cast<std::uint32_t>(dropped.size());
  RawSection section{setfile::SectionKind::overlay, 0, {}, 1};
  append(section.bytes, &header, sizeof header);
  append(section.bytes, dropped.data(), dropped.size() * sizeof(setfile::OverlayDropped));
  overlay_ = std::move(section);
}

void SetBuilder::add_raw_section(RawSection section) {
  raw_.push_back(std::move(section));
}

void SetBuilder::reserve(Algorithm a, std::size_t n) {
  exact_[static_cast<std::size_t>(a)].reserve(n);
}

SetBuildStats SetBuilder::write(const std::string& path, std::uint64_t version, std::int64_t created_unix) {
  SetBuildStats stats;
  std::vector<RawSection> sections;
  sections.push_back({setfile::SectionKind::lists, 0, lists_section(lists_), lists_.size()});
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    for (bool allow : {false, true}) {
      auto& entries = allow ? allow_[i] : exact_[i];
      if (entries.empty()) continue;
      sort_and_fold(entries, digest_size(a), stats);
      (allow ? stats.allow : stats.exact)[i] = entries.size();
      sections.push_back({allow ? setfile::SectionKind::allow_hashes : setfile::SectionKind::exact_hashes,
                          static_cast<std::uint32_t>(a), exact_section(entries, a), entries.size()});
    }
  }
  for (RawSection& r : raw_) sections.push_back(std::move(r));
  raw_.clear();
  if (overlay_) sections.push_back(std::move(*overlay_));
  overlay_.reset();

  setfile::Header header{};
  std::memcpy(header.magic, setfile::kMagic, sizeof(header.magic));
  header.format_version = setfile::kFormatVersion;
  header.header_size = sizeof(setfile::Header);
  header.set_version = version != 0 ? version : version_of_existing(path) + 1;
  header.created_unix = created_unix != 0 ? created_unix : unix_now();
  header.section_count = static_cast<std::uint32_t>(sections.size());

  std::vector<setfile::SectionEntry> table(sections.size());
  std::uint64_t offset = sizeof(setfile::Header) + table.size() * sizeof(setfile::SectionEntry);
  for (std::size_t i = 0; i < sections.size(); ++i) {
    offset = (offset + setfile::kSectionAlignment - 1) & ~(setfile::kSectionAlignment - 1);
    table[i] = {static_cast<std::uint32_t>(sections[i].kind), sections[i].algorithm, offset,
                sections[i].bytes.size(), sections[i].count};
    offset += sections[i].bytes.size();
  }
  header.file_size = offset;

  // The body (everything after the section table) in one buffer-less pass: checksum while laying out.
  const std::uint64_t table_end = sizeof(setfile::Header) + table.size() * sizeof(setfile::SectionEntry);
  setfile::ContentChecksum body;
  std::vector<std::uint8_t> padding(setfile::kSectionAlignment, 0);
  std::uint64_t pos = table_end;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    body.update(padding.data(), table[i].offset - pos);
    body.update(sections[i].bytes.data(), sections[i].bytes.size());
    pos = table[i].offset + sections[i].bytes.size();
  }
  header.content_checksum = body.digest();

  XXH3_state_t* head = XXH3_createState();
  XXH3_64bits_reset(head);
  XXH3_64bits_update(head, &header, sizeof(header));
  XXH3_64bits_update(head, table.data(), table.size() * sizeof(setfile::SectionEntry));
  header.header_checksum = XXH3_64bits_digest(head);
  XXH3_freeState(head);

  try {
    DurableFile file(path, 0644);
    const auto put = [&file](const void* p, std::size_t n) {
      file.write(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(p), n));
    };
    put(&header, sizeof(header));
    put(table.data(), table.size() * sizeof(setfile::SectionEntry));
    pos = table_end;
    for (std::size_t i = 0; i < sections.size(); ++i) {
      put(padding.data(), table[i].offset - pos);
      put(sections[i].bytes.data(), sections[i].bytes.size());
      pos = table[i].offset + sections[i].bytes.size();
    }
    file.commit();
  } catch (const std::system_error& e) {
    throw SetFileError(path + ": " + e.what());
  }
  return stats;
}

}  // namespace dijk
