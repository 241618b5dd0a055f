#include "hashcore/set/hash_set.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

std::shared_ptr<const HashSet> HashSet::open(const std::string& path, SetVerification verification,
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
  set->base_ = static_cast<const std::uint8_t*>(map);
  set->size_ = size;
  set->parse_sections(verification, verify_threads);
  return set;
}

HashSet::~HashSet() {
  if (base_ != nullptr) ::munmap(const_cast<std::uint8_t*>(base_), size_);
}

void HashSet::parse_sections(SetVerification verification, unsigned verify_threads) {
  header_ = reinterpret_cast<const setfile::Header*>(base_);
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
  XXH3_64bits_update(state, base_ + sizeof(setfile::Header), table_end - sizeof(setfile::Header));
  const std::uint64_t header_sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  if (header_sum != header_->header_checksum) fail(path_, "header checksum mismatch (corrupt header)");
  if (verification == SetVerification::full &&
      setfile::content_checksum(base_ + table_end, size_ - table_end, verify_threads) !=
          header_->content_checksum) {
    fail(path_, "content checksum mismatch (corrupt file)");
  }

  sections_ = {reinterpret_cast<const setfile::SectionEntry*>(base_ + sizeof(setfile::Header)),
               header_->section_count};
  for (const auto& s : sections_) {
    if (s.offset < table_end || s.offset > size_ || s.length > size_ - s.offset ||
        s.offset % setfile::kSectionAlignment != 0) {
      fail(path_, "section out of bounds");
    }
    const std::uint8_t* p = base_ + s.offset;
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
      if (n > 65536) fail(path_, "too many lists");
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
    }
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
      return std::span<const std::uint8_t>(base_ + s.offset, s.length);
    }
  }
  return std::nullopt;
}

AlgorithmSet HashSet::algorithms() const {
  AlgorithmSet out;
  for (Algorithm a : kAllAlgorithms) {
    if (!exact(a).empty() || !allow(a).empty()) out.add(a);
  }
  return out;
}

}  // namespace dijk
