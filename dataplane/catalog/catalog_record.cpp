#include "dataplane/catalog/catalog_record.h"

#include <cstring>

namespace dijk::catalog {
namespace {

// Value layout, format 1:
//   u8 format (1) | u8 flags: bit a = digest of Algorithm a present (a < 3), bit 3 = PDQ present
//   u48 size | i64 mtime_ns | i64 ctime_ns        (big endian)
//   u64 digest prefix, per present algorithm, in Algorithm order
//   [PDQ: 32 bytes of hash, u8 quality]
constexpr std::uint8_t kFormat = 1;
constexpr std::uint8_t kHasPdq = 1u << 3;
constexpr std::uint8_t kKnownFlags = 0x0f;
constexpr std::size_t kFixedBytes = 2 + 6 + 8 + 8;
constexpr std::size_t kPdqBytes = 32 + 1;

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::array<std::uint8_t, kKeyBytes> encode_key(const CatalogKey& key) {
  std::array<std::uint8_t, kKeyBytes> out{};
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(key.device >> (56 - 8 * i));
    out[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(key.inode >> (56 - 8 * i));
  }
  return out;
}

std::optional<CatalogKey> decode_key(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kKeyBytes) return std::nullopt;
  return CatalogKey{get_be(bytes.data(), 8), get_be(bytes.data() + 8, 8)};
}

std::uint64_t digest_prefix(std::span<const std::uint8_t> digest) {
  std::uint8_t first[kDigestPrefixBytes] = {};
  std::memcpy(first, digest.data(), std::min(digest.size(), kDigestPrefixBytes));
  return get_be(first, kDigestPrefixBytes);
}

std::vector<std::uint8_t> encode_record(const CatalogRecord& r) {
  std::vector<std::uint8_t> out;
  out.reserve(kFixedBytes + kAlgorithmCount * kDigestPrefixBytes + kPdqBytes);
  std::uint8_t flags = 0;
  for (std::size_t a = 0; a < kAlgorithmCount; ++a)
    if (r.digests[a]) flags |= static_cast<std::uint8_t>(1u << a);
  if (r.pdq) flags |= kHasPdq;
  out.push_back(kFormat);
  out.push_back(flags);
  put_be(out, std::min(r.stat.size, kMaxRecordFileSize), 6);
  put_be(out, static_cast<std::uint64_t>(r.stat.mtime_ns), 8);
  put_be(out, static_cast<std::uint64_t>(r.stat.ctime_ns), 8);
  for (const auto& d : r.digests)
    if (d) put_be(out, *d, 8);
  if (r.pdq) {
    out.insert(out.end(), r.pdq->bytes.begin(), r.pdq->bytes.end());
    out.push_back(r.pdq_quality);
  }
  return out;
}

std::optional<CatalogRecord> decode_record(std::span<const std::uint8_t> b, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<CatalogRecord> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  if (b.size() < kFixedBytes) return fail("shorter than a record's fixed part");
  if (b[0] != kFormat) return fail("unknown record format");
  const std::uint8_t flags = b[1];
  if ((flags & ~kKnownFlags) != 0) return fail("unknown record flags");
  std::size_t want = kFixedBytes;
  for (std::size_t a = 0; a < kAlgorithmCount; ++a)
    if ((flags & (1u << a)) != 0) want += kDigestPrefixBytes;
  if ((flags & kHasPdq) != 0) want += kPdqBytes;
  if (b.size() != want) return fail("record length does not match its flags");
  CatalogRecord r;
  const std::uint8_t* p = b.data() + 2;
  r.stat.size = get_be(p, 6);
  r.stat.mtime_ns = static_cast<std::int64_t>(get_be(p + 6, 8));
  r.stat.ctime_ns = static_cast<std::int64_t>(get_be(p + 14, 8));
  p += 22;
  for (std::size_t a = 0; a < kAlgorithmCount; ++a) {
    if ((flags & (1u << a)) == 0) continue;
    r.digests[a] = get_be(p, 8);
    p += 8;
  }
  if ((flags & kHasPdq) != 0) {
    PdqHash h;
    std::memcpy(h.bytes.data(), p, h.bytes.size());
    r.pdq = h;
    r.pdq_quality = p[32];
    if (r.pdq_quality > 100) return fail("PDQ quality over 100");
  }
  return r;
}

bool view_record(std::span<const std::uint8_t> b, RecordView& out) {
  if (b.size() < kFixedBytes || b[0] != kFormat || (b[1] & ~kKnownFlags) != 0) return false;
  const std::uint8_t flags = b[1];
  std::size_t at = kFixedBytes;
  for (std::size_t a = 0; a < kAlgorithmCount; ++a) {
    out.digests[a].reset();
    if ((flags & (1u << a)) == 0) continue;
    if (b.size() < at + 8) return false;
    out.digests[a] = get_be(b.data() + at, 8);
    at += 8;
  }
  out.pdq = nullptr;
  out.pdq_quality = 0;
  if ((flags & kHasPdq) != 0) {
    if (b.size() != at + kPdqBytes || b[at + 32] > 100) return false;
    out.pdq = b.data() + at;
    out.pdq_quality = b[at + 32];
    return true;
  }
  return b.size() == at;
}

}  // namespace dijk::catalog
