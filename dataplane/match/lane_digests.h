#pragma once
// MD5 and SHA-1 of the files one thread has in progress, hashed side by side in the vector lanes
// (hashcore/digest/multibuffer) rather than one file at a time: the file scan's reader (many files in
// flight) and the wire path's match stage (many uploads at once) each own one. Bytes submitted are queued
// and hashed at the next drain() (or a finish(), which drains), so the lanes see many files at once; they
// must stay unchanged until then. SHA-256 stays with the file's fingerprinter (SHA-NI, one stream, is
// faster than lanes).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "dataplane/match/file_fingerprint.h"
#include "hashcore/digest/multibuffer/lane_isa.h"
#include "hashcore/digest/multibuffer/multibuffer_hasher.h"

namespace dijk::match {

class LaneDigests {
 public:
  // The MD5 and SHA-1 of `wanted` go to the lanes of `isa`; with LaneIsa::none, nothing does.
  LaneDigests(AlgorithmSet wanted, digest_lanes::LaneIsa isa);

  // What the lanes compute; the fingerprinter computes the rest.
  AlgorithmSet algorithms() const { return algorithms_; }
  bool in_use() const { return !algorithms_.empty(); }
  digest_lanes::LaneIsa isa() const { return isa_; }
  // For summaries: "MD5+SHA-1 in avx512 lanes"; empty when no lanes are in use.
  std::string describe() const;

  // One file's streams, one per algorithm it takes from the lanes (`algorithms`, empty: none).
  struct Streams {
    AlgorithmSet algorithms;
    digest_lanes::MultiBufferHasher::StreamId md5 = 0, sha1 = 0;
    bool has_md5() const { return algorithms.contains(Algorithm::md5); }
    bool has_sha1() const { return algorithms.contains(Algorithm::sha1); }
  };
  // Streams for those of `wanted` the lanes compute.
  Streams open(AlgorithmSet wanted);
  // `bytes` must stay unchanged until the next drain().
  void submit(const Streams& file, std::span<const std::uint8_t> bytes);
  void drain();
  // The file's digests (after drain()) go to its fingerprinter; the streams are closed.
  void finish(const Streams& file, FileFingerprinter& into);
  // A file that failed: its streams are closed without digests.
  void abandon(const Streams& file);

 private:
  digest_lanes::LaneIsa isa_;
  AlgorithmSet algorithms_;
  std::optional<digest_lanes::MultiBufferHasher> md5_, sha1_;
};

}  // namespace dijk::match
