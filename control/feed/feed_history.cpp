#include "control/feed/feed_history.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "control/feed/content.h"
#include "control/feed/files.h"

namespace dijk::feed {
namespace {

constexpr std::uint64_t kMaxContentBytes = std::uint64_t{16} << 30;

std::vector<std::uint8_t> checked(const std::string& feed_dir, const FileEntry& f) {
  auto bytes = read_file((std::filesystem::path(feed_dir) / f.name).string(), kMaxContentBytes);
  if (sha256(bytes) != f.sha256) throw FeedFormatError(f.name + ": does not match the manifest");
  return bytes;
}

bool holds(const std::vector<Entry>& v, const Digest& d) {
  return std::any_of(v.begin(), v.end(), [&](const Entry& e) {
    return std::memcmp(e.bytes.data(), d.bytes.data(), d.size()) == 0;
  });
}

}  // namespace

HeldSince held_since(const std::string& feed_dir, const Digest& digest) {
  const Manifest m =
      parse_manifest_file(
          read_text_file((std::filesystem::path(feed_dir) / "manifest").string(), kMaxManifestBytes))
          .manifest;
  HeldSince out;
  out.current = m.version;
  const SetContents now = decode_snapshot(checked(feed_dir, m.snapshot));
  out.published = holds(now.exact[static_cast<std::size_t>(digest.algorithm)], digest);
  if (!out.published) return out;
  // Newest delta first: the first that adds the hash is when it came (back) in.
  auto deltas = m.deltas;
  std::sort(deltas.begin(), deltas.end(),
            [](const DeltaEntry& a, const DeltaEntry& b) { return a.to > b.to; });
  out.version = m.version;
  for (const DeltaEntry& d : deltas) {
    if (d.to != out.version) break;  // a gap: older deltas do not chain to this one
    const Delta delta = decode_delta(checked(feed_dir, d.file));
    if (holds(delta.add[static_cast<std::size_t>(digest.algorithm)], digest)) {
      out.exact = true;
      return out;
    }
    out.version = d.from;
  }
  out.exact = out.version == 1;  // no earlier version exists
  return out;
}

}  // namespace dijk::feed
