#include "hashcore/set/hash_set.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "hashcore/set/content_checksum.h"
#include "hashcore/set/exact_layout.h"

namespace dijk {
namespace {

std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// What a stored digest's slot holds, for comparing: its first word (list index bits ignored) and where
// the bytes from slot offset 8 on are to be found.
struct SlotProbe {
  std::uint64_t first_word;
  const std::uint8_t* from_eight;
};

// Whether a slot holds the probed digest, in the first bucket (second_flag 0) or the second (second_flag
// the flag's bit in the first word). kSize is the slot size when known at compile time (the common ones
// get a straight run of word compares), 0 when not.
template <std::uint32_t kSize>
[[gnu::always_inline]] inline bool holds(const std::uint8_t* slot, const SlotProbe& probe, std::uint32_t size,
                                         std::uint64_t second_flag) {
  const std::uint32_t n = kSize != 0 ? kSize : size;
  // The digest's own bytes first: for a digest not in the bucket that one compare almost always decides.
  // (Slots of 15 bytes, MD5 with four bytes dropped, have no second whole word.)
  if (n >= 16 && load64(slot + 8) != load64(probe.from_eight)) return false;
  if (((load64(slot) ^ probe.first_word) & ~std::uint64_t{0xFFFF}) != second_flag) return false;
  std::uint32_t off = n >= 16 ? 16 : 8;
  for (; off + 8 <= n; off += 8) {
    if (load64(slot + off) != load64(probe.from_eight + off - 8)) return false;
  }
  // The last word overlaps the one before (slots are at least 15 bytes).
  return off == n || load64(slot + n - 8) == load64(probe.from_eight + n - 16);
}

template <std::uint32_t kSize>
[[gnu::always_inline]] inline std::int32_t find_in_bucket(const std::uint8_t* bucket, const SlotProbe& probe,
                                                          std::uint32_t size, std::uint64_t second_flag) {
  const std::uint32_t n = kSize != 0 ? kSize : size;
#pragma GCC unroll 4
  for (std::uint32_t i = 0; i < setfile::kSlotsPerBucket; ++i) {
    const std::uint8_t* slot = bucket + i * n;
    if (holds<kSize>(slot, probe, size, second_flag)) {
      std::uint16_t list;
      std::memcpy(&list, slot, sizeof list);
      return list;
    }
  }
  return ExactTable::kNotFound;
}

template <std::uint32_t kSize>
[[gnu::always_inline]] inline std::int32_t find_in_pair(const std::uint8_t* first, const std::uint8_t* second,
                                                        const SlotProbe& probe, std::uint32_t size) {
  constexpr std::uint64_t kSecond = std::uint64_t{setfile::kSlotInSecondBucket} << 16;
  const std::int32_t hit = find_in_bucket<kSize>(first, probe, size, 0);
  return hit != ExactTable::kNotFound ? hit : find_in_bucket<kSize>(second, probe, size, kSecond);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw SetFileError(path + ": " + what);
}

}  // namespace

// ---- ExactTable ----

ExactTable::ExactTable(const setfile::ExactHeader* header, const std::uint8_t* section,
                       std::uint64_t length) {
  // Everything a lookup's arithmetic relies on, so that no header can make one read outside the section.
  if (header->bucket_count == 0 || header->bucket_count > setfile::kMaxBuckets ||
      header->slots_per_bucket != setfile::kSlotsPerBucket ||
      header->count > header->bucket_count * setfile::kSlotsPerBucket) {
    throw SetFileError("hash section header inconsistent");
  }
  const auto layout = setfile::exact_layout(header->digest_size, header->bucket_count);
  if (header->dropped_bytes != layout.dropped_bytes || header->slot_size != layout.slot_size)
    throw SetFileError("hash section slot layout does not match its bucket count");
  if (layout.section_length > length) throw SetFileError("hash section shorter than its buckets");
  digest_size_ = header->digest_size;
  layout_ = layout;
  count_ = header->count;
  hashing_ = setfile::SlotHashing(digest_size_, header->bucket_count, layout.dropped_bytes, header->seed);
  buckets_ = section + layout.buckets_offset;
}

std::int32_t ExactTable::find(std::span<const std::uint8_t> digest) const {
  if (digest.size() != digest_size_) return kNotFound;
  std::int32_t out;
  find_batch(digest.data(), digest_size_, 1, &out);
  return out;
}

void ExactTable::find_batch(const std::uint8_t* digests, std::size_t stride, std::size_t n,
                            std::int32_t* out) const {
  if (count_ == 0) {
    for (std::size_t i = 0; i < n; ++i) out[i] = kNotFound;
    return;
  }
  // MD5, SHA-1 and SHA-256 with three bytes dropped: every set from about a million entries.
  constexpr auto kAny = setfile::SlotHashing::kAny;
  if (hashing_.dropped_bytes() == 3) {
    switch (digest_size_) {
      case 16:
        return find_batch_shaped<16, 3>(digests, stride, n, out);
      case 20:
        return find_batch_shaped<20, 3>(digests, stride, n, out);
      case 32:
        return find_batch_shaped<32, 3>(digests, stride, n, out);
      default:
        break;
    }
  }
  find_batch_shaped<kAny, kAny>(digests, stride, n, out);
}

template <std::uint32_t kDigest, std::uint32_t kDropped>
void ExactTable::find_batch_shaped(const std::uint8_t* digests, std::size_t stride, std::size_t n,
                                   std::int32_t* out) const {
  constexpr auto kAny = setfile::SlotHashing::kAny;
  constexpr std::uint32_t kSlot =
      kDigest == kAny || kDropped == kAny ? 0 : setfile::kSlotTagBytes + kDigest - kDropped;
  // In blocks, two passes: fetch both buckets of every lookup, then (those having arrived) resolve. The
  // loads of a pass are independent, so a block costs about one memory round trip.
  constexpr std::size_t kBlock = 32;
  setfile::SlotAddress address[kBlock];
  std::array<std::uint8_t, setfile::kSlotTagBytes + kMaxDigestSize> image{};
  SlotProbe probe{0, image.data() + 8};
  for (std::size_t base = 0; base < n; base += kBlock) {
    const std::size_t m = std::min(kBlock, n - base);
    for (std::size_t j = 0; j < m; ++j) {
      address[j] = hashing_.address<kDigest, kDropped>(digests + (base + j) * stride);
      prefetch_bucket(address[j].first_bucket);
      prefetch_bucket(address[j].second_bucket);
    }
    for (std::size_t j = 0; j < m; ++j) {
      const setfile::SlotAddress& a = address[j];
      const std::uint8_t* digest = digests + (base + j) * stride;
      if constexpr (kDropped == 3) {
        // The slot's bytes from 8 on are the digest's: nothing to assemble.
        probe.first_word = setfile::SlotHashing::first_word_with_three_dropped(a);
        probe.from_eight = digest + 8;
      } else {
        hashing_.write_slot<kDigest, kDropped>(digest, a, image.data());
        probe.first_word = load64(image.data());
      }
      out[base + j] =
          find_in_pair<kSlot>(buckets_ + layout_.slot_offset(a.first_bucket, 0),
                              buckets_ + layout_.slot_offset(a.second_bucket, 0), probe, layout_.slot_size);
    }
  }
}

void ExactTable::prefetch_bucket(std::uint64_t bucket) const {
  constexpr std::uintptr_t kLine = 64;
  const auto start = reinterpret_cast<std::uintptr_t>(buckets_ + layout_.slot_offset(bucket, 0));
  for (std::uintptr_t line = start & ~(kLine - 1); line < start + layout_.bucket_size; line += kLine)
    __builtin_prefetch(reinterpret_cast<const void*>(line));
}

// ---- HashSet ----

namespace {
SetFileIdentity identity_of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec};
}
}  // namespace

std::optional<SetFileIdentity> set_file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return identity_of(st);
}

std::string overlay_path_for(const std::string& set_path) {
  constexpr std::string_view kSuffix = ".set";
  if (set_path.size() > kSuffix.size() && set_path.ends_with(kSuffix))
    return set_path.substr(0, set_path.size() - kSuffix.size()) + ".overlay";
  return set_path + ".overlay";
}

// ---- ExactView ----

std::int32_t ExactView::find(std::span<const std::uint8_t> digest) const {
  if (overlay_ != nullptr && digest.size() == digest_size_ && filter_->may_hold(digest.data())) {
    const std::int32_t over = overlay_->find(digest);
    if (over == setfile::kTombstoneList) return kNotFound;
    if (over != kNotFound) return over;
  }
  return base_->find(digest);
}

void ExactView::find_batch(const std::uint8_t* digests, std::size_t stride, std::size_t n,
                           std::int32_t* out) const {
  base_->find_batch(digests, stride, n, out);
  if (overlay_ == nullptr) return;
  // The filter sends almost only the digests the overlay holds on to its table.
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint8_t* digest = digests + j * stride;
    if (!filter_->may_hold(digest)) continue;
    const std::int32_t over = overlay_->find({digest, digest_size_});
    if (over == setfile::kTombstoneList) {
      out[j] = kNotFound;
    } else if (over != kNotFound) {
      out[j] = over;
    }
  }
}

// ---- HashSet ----

std::shared_ptr<HashSet> HashSet::map_file(const std::string& path, SetVerification verification,
                                           unsigned verify_threads) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail(path, std::string("cannot stat: ") + std::strerror(errno));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < sizeof(setfile::Header)) {
    ::close(fd);
    fail(path, "truncated: " + std::to_string(size) + " bytes is shorter than a set file header");
  }
  // Full verification reads every page anyway; populate in one go rather than fault page by page.
  const int flags = MAP_PRIVATE | (verification == SetVerification::full ? MAP_POPULATE : 0);
  void* map = ::mmap(nullptr, size, PROT_READ, flags, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(path, std::string("cannot map: ") + std::strerror(errno));

  std::shared_ptr<HashSet> set(new HashSet());
  set->path_ = path;
  set->identity_ = identity_of(st);
  set->map_ = static_cast<const std::uint8_t*>(map);
  set->size_ = size;
  set->parse_sections(verification, verify_threads);
  return set;
}

std::shared_ptr<const HashSet> HashSet::open_file(const std::string& path, SetVerification verification,
                                                  unsigned verify_threads) {
  auto set = map_file(path, verification, verify_threads);
  if (set->overlay_ != nullptr) fail(path, "is an overlay file: open the set file it belongs to");
  return set;
}

std::shared_ptr<const HashSet> HashSet::open(const std::string& path, SetVerification verification,
                                             unsigned verify_threads, const HashSet* reuse) {
  // The overlay first, then the base (see the header for why this order).
  const std::string overlay_path = overlay_path_for(path);
  std::shared_ptr<HashSet> overlay;
  struct stat ost {};
  if (::stat(overlay_path.c_str(), &ost) == 0) {
    try {
      overlay = map_file(overlay_path, verification, verify_threads);
    } catch (const SetFileError&) {
      // Renamed away or removed between the stat and the open (a merge): the base alone is served then,
      // and is complete, because a merge renames the new base into place before it removes the overlay.
      if (::stat(overlay_path.c_str(), &ost) == 0) throw;
    }
    if (overlay && overlay->overlay_ == nullptr) fail(overlay_path, "is a set file, not an overlay");
  }
  std::shared_ptr<const HashSet> base;
  if (reuse != nullptr) {
    const HashSet& live_base = reuse->base_file();
    if (live_base.path_ == path && set_file_identity(path) == live_base.identity_)
      base = live_base.shared_from_this();
  }
  if (!base) base = open_file(path, verification, verify_threads);
  if (!overlay || overlay->overlay_->base_header_checksum != base->header_checksum()) return base;
  return layer(std::move(base), std::move(overlay));
}

std::shared_ptr<const HashSet> HashSet::with_overlay(std::shared_ptr<const HashSet> base_file,
                                                     const std::string& overlay_path,
                                                     SetVerification verification) {
  if (base_file->layered()) fail(base_file->path(), "already has an overlay");
  auto overlay = map_file(overlay_path, verification, 1);
  if (overlay->overlay_ == nullptr) fail(overlay_path, "is a set file, not an overlay");
  if (overlay->overlay_->base_header_checksum != base_file->header_checksum())
    fail(overlay_path, "is the overlay of another base than " + base_file->path());
  return layer(std::move(base_file), std::move(overlay));
}

HashSet::~HashSet() {
  if (map_ != nullptr) ::munmap(const_cast<std::uint8_t*>(map_), size_);
}

std::shared_ptr<const HashSet> HashSet::layer(std::shared_ptr<const HashSet> base,
                                              std::shared_ptr<HashSet> overlay) {
  // The served counts: each overlay entry either adds a digest the base lacks, moves one to another
  // list (no change in count), or removes one the base has. A forged overlay may tombstone a digest the
  // base lacks: the base is asked, not trusted.
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    for (bool allow : {false, true}) {
      const ExactTable& under = allow ? base->allow_[i] : base->exact_[i];
      std::uint64_t count = under.size();
      const ExactTable& over = allow ? overlay->allow_[i] : overlay->exact_[i];
      OverlayFilter& filter = (allow ? overlay->allow_filter_ : overlay->exact_filter_)[i];
      filter = OverlayFilter(over.size());
      over.for_each([&](std::span<const std::uint8_t> digest, std::uint16_t list) {
        filter.add(digest);
        const bool in_base = under.find(digest) != ExactTable::kNotFound;
        if (list == setfile::kTombstoneList) {
          count -= in_base ? 1 : 0;
        } else {
          count += in_base ? 0 : 1;
        }
      });
      (allow ? overlay->allow_count_ : overlay->exact_count_)[i] = count;
    }
  }
  if (overlay->lists_.size() < base->lists_.size())
    fail(overlay->path_, "overlay's list table is shorter than its base's");
  overlay->base_ = std::move(base);
  return overlay;
}

ExactView HashSet::exact(Algorithm a) const {
  const auto i = static_cast<std::size_t>(a);
  if (base_) return {base_->exact_[i], &exact_[i], &exact_filter_[i], exact_count_[i], digest_size(a)};
  return {exact_[i], nullptr, nullptr, exact_count_[i], digest_size(a)};
}

ExactView HashSet::allow(Algorithm a) const {
  const auto i = static_cast<std::size_t>(a);
  if (base_) return {base_->allow_[i], &allow_[i], &allow_filter_[i], allow_count_[i], digest_size(a)};
  return {allow_[i], nullptr, nullptr, allow_count_[i], digest_size(a)};
}

std::uint64_t HashSet::overlay_entries() const {
  if (!base_) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) n += exact_[i].size() + allow_[i].size();
  return n;
}

bool HashSet::dropped(std::uint32_t kind, std::uint32_t algorithm) const {
  return std::any_of(dropped_.begin(), dropped_.end(), [&](const setfile::OverlayDropped& d) {
    return d.kind == kind && d.algorithm == algorithm;
  });
}

void HashSet::parse_overlay_section(const std::uint8_t* p, std::uint64_t length) {
  if (overlay_ != nullptr) fail(path_, "more than one overlay section");
  if (length < sizeof(setfile::OverlayHeader)) fail(path_, "overlay section too short");
  overlay_ = reinterpret_cast<const setfile::OverlayHeader*>(p);
  const std::uint64_t n = overlay_->dropped_count;
  if (n > setfile::kMaxSections ||
      n * sizeof(setfile::OverlayDropped) > length - sizeof(setfile::OverlayHeader))
    fail(path_, "overlay section's dropped list out of bounds");
  dropped_.resize(n);
  if (n > 0)
    std::memcpy(dropped_.data(), p + sizeof(setfile::OverlayHeader), n * sizeof(setfile::OverlayDropped));
}

void HashSet::parse_sections(SetVerification verification, unsigned verify_threads) {
  header_ = reinterpret_cast<const setfile::Header*>(map_);
  if (std::memcmp(header_->magic, setfile::kMagic, sizeof(setfile::kMagic)) != 0) {
    fail(path_, "not a dijk set file (bad magic)");
  }
  if (header_->format_version != setfile::kFormatVersion) {
    fail(path_, "unsupported set format version " + std::to_string(header_->format_version) +
                    " (this build reads " + std::to_string(setfile::kFormatVersion) + ")");
  }
  if (header_->header_size != sizeof(setfile::Header)) fail(path_, "bad header size");
  if (header_->file_size != size_) {
    fail(path_, "truncated or extended: header says " + std::to_string(header_->file_size) +
                    " bytes, file has " + std::to_string(size_));
  }
  if (header_->section_count > setfile::kMaxSections) fail(path_, "too many sections");
  const std::uint64_t table_end =
      sizeof(setfile::Header) + std::uint64_t{header_->section_count} * sizeof(setfile::SectionEntry);
  if (table_end > size_) fail(path_, "truncated section table");

  setfile::Header copy = *header_;
  copy.header_checksum = 0;
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, &copy, sizeof(copy));
  XXH3_64bits_update(state, map_ + sizeof(setfile::Header), table_end - sizeof(setfile::Header));
  const std::uint64_t header_sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  if (header_sum != header_->header_checksum) fail(path_, "header checksum mismatch (corrupt header)");
  if (verification == SetVerification::full &&
      setfile::content_checksum(map_ + table_end, size_ - table_end, verify_threads) !=
          header_->content_checksum) {
    fail(path_, "content checksum mismatch (corrupt file)");
  }

  sections_ = {reinterpret_cast<const setfile::SectionEntry*>(map_ + sizeof(setfile::Header)),
               header_->section_count};
  for (const auto& s : sections_) {
    if (s.offset < table_end || s.offset > size_ || s.length > size_ - s.offset ||
        s.offset % setfile::kSectionAlignment != 0) {
      fail(path_, "section out of bounds");
    }
    const std::uint8_t* p = map_ + s.offset;
    const auto kind = static_cast<setfile::SectionKind>(s.kind);
    if (kind == setfile::SectionKind::exact_hashes || kind == setfile::SectionKind::allow_hashes) {
      if (s.algorithm >= kAlgorithmCount) fail(path_, "hash section for unknown algorithm");
      if (s.length < sizeof(setfile::ExactHeader)) fail(path_, "hash section too short");
      const auto* eh = reinterpret_cast<const setfile::ExactHeader*>(p);
      const auto algo = static_cast<Algorithm>(s.algorithm);
      if (eh->digest_size != digest_size(algo) || eh->count != s.count) {
        fail(path_, "hash section header inconsistent");
      }
      try {
        ExactTable table(eh, p, s.length);
        (kind == setfile::SectionKind::exact_hashes ? exact_ : allow_)[s.algorithm] = table;
      } catch (const SetFileError& e) {
        fail(path_, e.what());
      }
    } else if (kind == setfile::SectionKind::lists) {
      std::uint64_t off = 0;
      auto need = [&](std::uint64_t n) {
        if (n > s.length - off) fail(path_, "lists section truncated");
      };
      auto read_u16 = [&] {
        need(2);
        std::uint16_t v;
        std::memcpy(&v, p + off, 2);
        off += 2;
        return v;
      };
      need(4);
      std::uint32_t n;
      std::memcpy(&n, p, 4);
      off = 4;
      // At most 65535, so that list index 0xFFFF is free to mark an overlay's tombstones.
      if (n > 0xFFFF) fail(path_, "too many lists");
      for (std::uint32_t i = 0; i < n; ++i) {
        ListInfo info;
        std::uint16_t len = read_u16();
        need(len);
        info.name.assign(reinterpret_cast<const char*>(p + off), len);
        off += len;
        len = read_u16();
        need(len);
        info.category.assign(reinterpret_cast<const char*>(p + off), len);
        off += len;
        lists_.push_back(std::move(info));
      }
    } else if (kind == setfile::SectionKind::overlay) {
      parse_overlay_section(p, s.length);
    }
  }
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    exact_count_[i] = exact_[i].size();
    allow_count_[i] = allow_[i].size();
  }
  // A list index pointing past the list table would make a hit unreportable; the builder never writes one,
  // so only a forged file could, and full verification has already refused a modified file.
}

MatchOutcome HashSet::match(const DigestResults& digests) const {
  MatchOutcome out;
  for (Algorithm a : kAllAlgorithms) {
    if (!digests.computed.contains(a)) continue;
    const Digest& d = digests.get(a);
    if (allow(a).find({d.bytes.data(), d.size()}) != ExactTable::kNotFound) {
      out.allow_listed = true;
      out.hits.clear();
      return out;
    }
  }
  for (Algorithm a : kAllAlgorithms) {
    if (!digests.computed.contains(a)) continue;
    const Digest& d = digests.get(a);
    const std::int32_t list = exact(a).find({d.bytes.data(), d.size()});
    if (list != ExactTable::kNotFound && static_cast<std::size_t>(list) < lists_.size())
      out.hits.push_back({a, d, static_cast<std::uint16_t>(list)});
  }
  return out;
}

std::optional<std::span<const std::uint8_t>> HashSet::section(setfile::SectionKind kind,
                                                              std::uint32_t algorithm) const {
  for (const auto& s : sections_) {
    if (s.kind == static_cast<std::uint32_t>(kind) && s.algorithm == algorithm) {
      return std::span<const std::uint8_t>(map_ + s.offset, s.length);
    }
  }
  // An overlay's own section replaces the base's; one it drops is gone.
  if (base_ && !dropped(static_cast<std::uint32_t>(kind), algorithm)) return base_->section(kind, algorithm);
  return std::nullopt;
}

std::vector<HashSet::OtherSection> HashSet::other_sections() const {
  std::vector<OtherSection> out;
  for (const auto& s : sections_) {
    if (s.kind <= static_cast<std::uint32_t>(setfile::SectionKind::allow_hashes) ||
        s.kind == static_cast<std::uint32_t>(setfile::SectionKind::overlay))
      continue;
    out.push_back(
        {static_cast<setfile::SectionKind>(s.kind), s.algorithm, {map_ + s.offset, s.length}, s.count});
  }
  if (base_) {
    for (const OtherSection& b : base_->other_sections()) {
      const bool replaced = std::any_of(out.begin(), out.end(), [&](const OtherSection& o) {
        return o.kind == b.kind && o.algorithm == b.algorithm;
      });
      if (!replaced && !dropped(static_cast<std::uint32_t>(b.kind), b.algorithm)) out.push_back(b);
    }
  }
  std::sort(out.begin(), out.end(), [](const OtherSection& a, const OtherSection& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.algorithm < b.algorithm;
  });
  return out;
}

AlgorithmSet HashSet::algorithms() const {
  AlgorithmSet out;
  for (Algorithm a : kAllAlgorithms) {
    if (!exact(a).empty() || !allow(a).empty()) out.add(a);
  }
  return out;
}

}  // namespace dijk
