#pragma once
// One stored file in the fingerprint catalog: what a re-scan checks by stat (size, mtime, ctime) and what
// a retro-hunt matches (digest prefixes, the PDQ hash). Keyed by (device, inode), which stat gives
// without reading the file; the path is not kept (it would more than double a record's size): a
// retro-hunt finds the paths of its few candidates by walking the catalog's roots (inode_paths.h).
//
// Digests are kept as their first 8 bytes. A retro-hunt match on a prefix makes a candidate, not a hit:
// every candidate is read again and matched whole against the set, so a prefix can never report a wrong
// file; it only costs a read, about once in 2^64 / (added hashes) files. docs/catalog.md has the layout.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hashcore/digest/algorithm.h"
#include "hashcore/pdq/pdq_hash.h"

namespace dijk::catalog {

struct CatalogKey {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;

  auto operator<=>(const CatalogKey&) const = default;
};

inline constexpr std::size_t kKeyBytes = 16;
// Big endian, so that the store keeps a device's files together and in inode order (its blocks then
// share key prefixes).
std::array<std::uint8_t, kKeyBytes> encode_key(const CatalogKey& key);
std::optional<CatalogKey> decode_key(std::span<const std::uint8_t> bytes);

// The stat fields a re-scan compares: a file whose three are unchanged is not read again.
struct StatStamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  bool operator==(const StatStamp&) const = default;
};

inline constexpr std::size_t kDigestPrefixBytes = 8;
// The first 8 bytes of a digest, as an integer (big endian: compares like the digest's bytes).
std::uint64_t digest_prefix(std::span<const std::uint8_t> digest);

struct CatalogRecord {
  StatStamp stat;
  // Indexed by Algorithm; absent where the file was not hashed with it.
  std::array<std::optional<std::uint64_t>, kAlgorithmCount> digests{};
  std::optional<PdqHash> pdq;  // images that decoded
  std::uint8_t pdq_quality = 0;

  bool operator==(const CatalogRecord&) const = default;
};

// The largest size a record can take (a size field of 6 bytes: files up to 256 TiB).
inline constexpr std::uint64_t kMaxRecordFileSize = (std::uint64_t{1} << 48) - 1;

std::vector<std::uint8_t> encode_record(const CatalogRecord& record);
// nullopt for anything encode_record could not have written (wrong format byte, unknown flags, wrong
// length), with the reason in `error`.
std::optional<CatalogRecord> decode_record(std::span<const std::uint8_t> bytes, std::string* error = nullptr);

// The parts of an encoded record a retro-hunt's pass reads, found in place: no CatalogRecord is built,
// nothing is copied. False for bytes decode_record would refuse.
struct RecordView {
  std::array<std::optional<std::uint64_t>, kAlgorithmCount> digests{};
  const std::uint8_t* pdq = nullptr;  // 32 bytes, or null
  std::uint8_t pdq_quality = 0;
};
bool view_record(std::span<const std::uint8_t> bytes, RecordView& out);

}  // namespace dijk::catalog
