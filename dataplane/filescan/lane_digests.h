#pragma once
// MD5 and SHA-1 of the files one reader has in flight, hashed side by side in the vector lanes
// (hashcore/digest/multibuffer) rather than one file at a time. The reader submits each chunk as it is
// read and drains once per batch of completed reads, so the lanes see the chunks of many files at once;
// a chunk's buffer stays unchanged until that drain. SHA-256 stays with the file's fingerprinter
// (SHA-NI, one stream, is faster than lanes). One per reader thread.
#include <cstdint>
#include <optional>
#include <span>

#include "dataplane/match/file_fingerprint.h"
#include "hashcore/digest/multibuffer/multibuffer_hasher.h"

namespace dijk::scan {

class LaneDigests {
 public:
  // The MD5 and SHA-1 of `wanted` go to the lanes of `isa`; with LaneIsa::none, nothing does.
  LaneDigests(AlgorithmSet wanted, digest_lanes::LaneIsa isa);

  // What the lanes compute; the fingerprinter computes the rest.
  AlgorithmSet algorithms() const { return algorithms_; }
  bool in_use() const { return !algorithms_.empty(); }
  digest_lanes::LaneIsa isa() const { return isa_; }

  // One file's streams, one per algorithm in the lanes.
  struct Streams {
    digest_lanes::MultiBufferHasher::StreamId md5 = 0, sha1 = 0;
  };
  Streams open();
  // `bytes` must stay unchanged until the next drain().
  void submit(const Streams& file, std::span<const std::uint8_t> bytes);
  void drain();
  // The file's digests (after drain()) go to its fingerprinter; the streams are closed.
  void finish(const Streams& file, match::FileFingerprinter& into);
  // A file that failed: its streams are closed without digests.
  void abandon(const Streams& file);

 private:
  digest_lanes::LaneIsa isa_;
  AlgorithmSet algorithms_;
  std::optional<digest_lanes::MultiBufferHasher> md5_, sha1_;
};

// `algorithms` without those the lanes compute.
AlgorithmSet without(AlgorithmSet algorithms, AlgorithmSet taken);

}  // namespace dijk::scan
