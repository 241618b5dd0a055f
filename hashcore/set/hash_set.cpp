#include "hashcore/set/hash_set.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hashcore/set/exact_layout.h"

namespace dijk {
namespace {

std::uint64_t load_be64_prefix(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw SetFileError(path + ": " + what);
}

}  // namespace

// ---- ExactTable ----

ExactTable::ExactTable(const setfile::ExactHeader* header, const std::uint8_t* section,
                       std::uint64_t length) {
  const auto layout = setfile::exact_layout(header->digest_size, header->bucket_bits, header->count);
  if (layout.section_length > length || header->dropped_bytes != layout.dropped_bytes ||
      header->suffix_size != layout.suffix_size) {
    throw SetFileError("hash section layout does not match its length");
  }
  digest_size_ = header->digest_size;
  bucket_bits_ = header->bucket_bits;
  dropped_ = layout.dropped_bytes;
  suffix_size_ = layout.suffix_size;
  count_ = header->count;
  bucket_start_ = reinterpret_cast<const std::uint32_t*>(section + layout.buckets_offset);
  suffixes_ = section + layout.suffix_offset;
  list_index_ = reinterpret_cast<const std::uint16_t*>(section + layout.list_offset);
  // Whole words of the suffix, the last one ending at the suffix's end (suffixes are 13..32 bytes).
  words_ = std::max<std::uint32_t>((suffix_size_ + 7) / 8, 2);
  if (suffix_size_ < 8 || words_ > kMaxWords) throw SetFileError("hash section suffix size out of range");
  for (std::uint32_t w = 0; w < words_; ++w) word_offset_[w] = std::min(8 * w, suffix_size_ - 8);
  const std::uint64_t buckets = std::uint64_t{1} << bucket_bits_;
  if (bucket_start_[buckets] != count_)
    throw SetFileError("hash section bucket table does not end at its count");
}

std::uint64_t ExactTable::bucket_of(const std::uint8_t* digest) const {
  if (bucket_bits_ == 0) return 0;
  return load_be64_prefix(digest) >> (64 - bucket_bits_);
}

namespace {
std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace

template <std::uint32_t kWords>
std::int64_t ExactTable::position_in_bucket_words(std::uint64_t bucket, const std::uint8_t* digest) const {
  // Buckets hold a few entries; a linear scan beats a binary search at that size. Every entry of the
  // bucket is compared, word by word, without an early exit: where the digest sits (or that it is
  // absent) is random, so a branch on it would be mispredicted about once a lookup, which cost more than
  // the lookup's memory traffic once the lines are cached. The last word overlaps the one before it
  // when the suffix is not a whole number of words.
  // Clamped so that even a forged bucket table cannot make a lookup read past the section.
  const std::uint64_t end = std::min<std::uint64_t>(bucket_start_[bucket + 1], count_);
  const std::uint64_t begin = std::min<std::uint64_t>(bucket_start_[bucket], end);
  const std::uint8_t* want = digest + dropped_;
  std::uint64_t want_words[kWords];
  for (std::uint32_t w = 0; w < kWords; ++w) want_words[w] = load64(want + word_offset_[w]);
  std::int64_t found = -1;
  const std::uint8_t* entry = suffixes_ + begin * suffix_size_;
  for (std::uint64_t i = begin; i < end; ++i, entry += suffix_size_) {
    std::uint64_t diff = 0;
    for (std::uint32_t w = 0; w < kWords; ++w) diff |= load64(entry + word_offset_[w]) ^ want_words[w];
    found = diff == 0 ? static_cast<std::int64_t>(i) : found;
  }
  return found;
}

std::int64_t ExactTable::position_in_bucket(std::uint64_t bucket, const std::uint8_t* digest) const {
  switch (words_) {  // the same every lookup of a table, so always predicted
    case 2:
      return position_in_bucket_words<2>(bucket, digest);
    case 3:
      return position_in_bucket_words<3>(bucket, digest);
    default:
      return position_in_bucket_words<4>(bucket, digest);
  }
}

std::int32_t ExactTable::find(std::span<const std::uint8_t> digest) const {
  if (count_ == 0 || digest.size() != digest_size_) return kNotFound;
  const std::int64_t at = position_in_bucket(bucket_of(digest.data()), digest.data());
  return at < 0 ? kNotFound : list_index_[at];
}

void ExactTable::find_batch(const std::uint8_t* digests, std::size_t stride, std::size_t n,
                            std::int32_t* out) const {
  if (count_ == 0) {
    for (std::size_t i = 0; i < n; ++i) out[i] = kNotFound;
    return;
  }
  // In blocks, pipelined: while block k is resolved, block k+1's bucket lines and block k+2's bucket-table
  // words are being fetched. A lookup is three dependent memory round trips (table word, bucket lines,
  // list index), each ~180 ns on this VM's DRAM and ~120 ns even where the data is in L3; within one block
  // each pass waited for the previous one's loads, while two blocks apart they have arrived. In a block the
  // found positions prefetch their list index before a last pass reads them, so a hit's list index is not
  // a stall of its own, and a miss (most real lookups) touches only list index 0, always cached.
  // (A rolling pipeline, one lookup at a time a fixed distance apart, measured slower: its loop carries
  // the stages' branches.)
  constexpr std::size_t kBlock = 16;
  constexpr std::size_t kStages = 3;  // blocks in flight: table words, bucket lines, resolve
  std::uint64_t bucket[kStages][kBlock];
  std::int64_t position[kBlock];
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  auto block_size = [&](std::size_t b) { return std::min(kBlock, n - b * kBlock); };
  for (std::size_t step = 0; step < blocks + kStages - 1; ++step) {
    if (step < blocks) {  // stage 1: the bucket-table words of block `step`
      std::uint64_t* bk = bucket[step % kStages];
      for (std::size_t j = 0, m = block_size(step); j < m; ++j) {
        bk[j] = bucket_of(digests + (step * kBlock + j) * stride);
        __builtin_prefetch(&bucket_start_[bk[j]]);
      }
    }
    if (step >= 1 && step - 1 < blocks) {  // stage 2: the bucket lines of block step-1
      const std::uint64_t* bk = bucket[(step - 1) % kStages];
      for (std::size_t j = 0, m = block_size(step - 1); j < m; ++j) prefetch_bucket_lines(bk[j]);
    }
    if (step >= 2) {  // stage 3: resolve block step-2
      const std::size_t b = step - 2;
      const std::uint64_t* bk = bucket[b % kStages];
      const std::size_t m = block_size(b);
      // Branch-free on found / not found, for the reason position_in_bucket gives.
      for (std::size_t j = 0; j < m; ++j) {
        position[j] = position_in_bucket(bk[j], digests + (b * kBlock + j) * stride);
        __builtin_prefetch(&list_index_[std::max<std::int64_t>(position[j], 0)]);
      }
      for (std::size_t j = 0; j < m; ++j) {
        const std::int32_t list = list_index_[std::max<std::int64_t>(position[j], 0)];
        out[b * kBlock + j] = position[j] < 0 ? kNotFound : list;
      }
    }
  }
}

void ExactTable::prefetch_bucket_lines(std::uint64_t bucket) const {
  // The first and the last line the bucket spans, and the one between them, without a loop: buckets span
  // one to three lines, and a loop's varying trip count is a mispredicted branch a lookup. (Prefetching
  // the same line twice costs next to nothing.) Prefetches never fault, so a forged table cannot hurt.
  const std::uint64_t start = bucket_start_[bucket];
  const std::uint64_t end = std::max<std::uint64_t>(start + 1, bucket_start_[bucket + 1]);
  const std::uint8_t* first = suffixes_ + start * suffix_size_;
  const std::uint8_t* last = suffixes_ + end * suffix_size_ - 1;
  __builtin_prefetch(first);
  __builtin_prefetch(first + (last - first) / 2);
  __builtin_prefetch(last);
}

// ---- HashSet ----

std::shared_ptr<const HashSet> HashSet::open(const std::string& path, SetVerification verification) {
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
  set->parse_sections(verification);
  return set;
}

HashSet::~HashSet() {
  if (base_ != nullptr) ::munmap(const_cast<std::uint8_t*>(base_), size_);
}

void HashSet::parse_sections(SetVerification verification) {
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
      XXH3_64bits(base_ + table_end, size_ - table_end) != header_->content_checksum) {
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
      if (eh->digest_size != digest_size(algo) || eh->bucket_bits > 30 || eh->count != s.count ||
          eh->count > 0xFFFFFFFFull) {
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
