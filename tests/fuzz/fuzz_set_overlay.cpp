// Hostile overlay files over a valid base: layering must refuse what it cannot trust, never read out of
// bounds, and serve lookups, enumeration and sections without a crash whatever the overlay holds (entries
// with list indexes past the table, tombstones of digests the base lacks, dropped sections it never had).
// Each input is tried as is and again with its base checksum set to the base's and its checksums
// recomputed, as a forger who knows XXH3 would, so the fuzzer reaches the layering behind them.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "control/feed/content.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/set/set_builder.h"
#include "tests/fuzz/set_file_forgery.h"

namespace {
using namespace dijk;

Digest digest(Algorithm a, std::uint8_t seed) {
  Digest d;
  d.algorithm = a;
  for (std::size_t i = 0; i < d.size(); ++i) d.bytes[i] = static_cast<std::uint8_t>(seed * 37 + i);
  return d;
}

// The base every input is layered over: built once, mapped, its file gone (the mapping stays).
std::shared_ptr<const HashSet> make_base() {
  char path[] = "/tmp/dijk-fuzz-overlay-base-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return nullptr;
  close(fd);
  SetBuilder b;
  const auto list = b.add_list("base", "A1");
  for (std::uint8_t i = 0; i < 64; ++i) {
    b.add(digest(Algorithm::md5, i), list);
    b.add(digest(Algorithm::sha256, i), list);
  }
  b.add_allow(digest(Algorithm::sha1, 1));
  b.add_raw_section({setfile::SectionKind::pdq_hashes, 0, std::vector<std::uint8_t>(128, 0x5a), 1});
  b.write(path, 1);
  auto base = HashSet::open_file(path);
  unlink(path);
  return base;
}

void exercise(const HashSet& set) {
  std::uint8_t probe[32] = {};
  for (auto a : kAllAlgorithms) {
    for (int fill : {0x00, 0x80, 0xff}) {
      std::memset(probe, fill, sizeof probe);
      (void)set.exact(a).find({probe, digest_size(a)});
      (void)set.allow(a).find({probe, digest_size(a)});
    }
    const Digest held = digest(a, 3);
    std::int32_t out[2];
    std::uint8_t two[64] = {};
    std::memcpy(two, held.bytes.data(), held.size());
    set.exact(a).find_batch(two, 32, 2, out);
    std::size_t visited = 0;
    set.exact(a).for_each([&](std::span<const std::uint8_t> d, std::uint16_t) { visited += d.size(); });
    (void)set.allow(a).size();
  }
  (void)set.section(setfile::SectionKind::pdq_hashes);
  (void)set.other_sections();
  (void)set.overlay_entries();
  (void)set.match(digest_buffer(AlgorithmSet::all(), {probe, 1}));
  try {
    (void)feed::read_set(set);  // a list index past the table is an error, not a crash
  } catch (const SetFileError&) {
  }
}

void try_layer(const std::shared_ptr<const HashSet>& base, const std::vector<std::uint8_t>& bytes) {
  char path[] = "/tmp/dijk-fuzz-overlay-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return;
  const bool written = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  close(fd);
  for (auto v : {SetVerification::structure, SetVerification::full}) {
    if (!written) break;
    try {
      exercise(*HashSet::with_overlay(base, path, v));
    } catch (const SetFileError&) {
    }
  }
  unlink(path);
}

// Points the overlay section (if the table has one in bounds) at `base`, then fixes both checksums.
std::vector<std::uint8_t> forged(std::vector<std::uint8_t> b, const HashSet& base) {
  using setfile::Header;
  using setfile::SectionEntry;
  if (b.size() < sizeof(Header)) return b;
  Header h;
  std::memcpy(&h, b.data(), sizeof h);
  const std::uint64_t sections = std::min<std::uint64_t>(h.section_count, setfile::kMaxSections);
  const std::uint64_t table_end = sizeof(Header) + sections * sizeof(SectionEntry);
  if (table_end > b.size()) return b;
  for (std::uint64_t i = 0; i < sections; ++i) {
    SectionEntry e;
    std::memcpy(&e, b.data() + sizeof(Header) + i * sizeof(SectionEntry), sizeof e);
    if (e.kind != static_cast<std::uint32_t>(setfile::SectionKind::overlay) || e.offset > b.size() ||
        b.size() - e.offset < sizeof(setfile::OverlayHeader))
      continue;
    const std::uint64_t sum = base.header_checksum();
    std::memcpy(b.data() + e.offset + offsetof(setfile::OverlayHeader, base_header_checksum), &sum,
                sizeof sum);
  }
  return fuzz::with_fixed_checksums(std::move(b));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const HashSet> base = make_base();
  if (!base) return 0;
  std::vector<std::uint8_t> bytes(data, data + size);
  try_layer(base, bytes);
  try_layer(base, forged(std::move(bytes), *base));
  return 0;
}
