#include "dataplane/filescan/lane_digests.h"

namespace dijk::scan {

LaneDigests::LaneDigests(AlgorithmSet wanted, digest_lanes::LaneIsa isa) : isa_(isa) {
  if (isa == digest_lanes::LaneIsa::none) return;
  if (wanted.contains(Algorithm::md5)) {
    md5_.emplace(Algorithm::md5, isa);
    algorithms_.add(Algorithm::md5);
  }
  if (wanted.contains(Algorithm::sha1)) {
    sha1_.emplace(Algorithm::sha1, isa);
    algorithms_.add(Algorithm::sha1);
  }
}

LaneDigests::Streams LaneDigests::open() {
  Streams s;
  if (md5_) s.md5 = md5_->open();
  if (sha1_) s.sha1 = sha1_->open();
  return s;
}

void LaneDigests::submit(const Streams& file, std::span<const std::uint8_t> bytes) {
  if (md5_) md5_->submit(file.md5, bytes);
  if (sha1_) sha1_->submit(file.sha1, bytes);
}

void LaneDigests::drain() {
  if (md5_) md5_->drain();
  if (sha1_) sha1_->drain();
}

void LaneDigests::finish(const Streams& file, match::FileFingerprinter& into) {
  if (md5_) into.add_digest(md5_->finish(file.md5));
  if (sha1_) into.add_digest(sha1_->finish(file.sha1));
}

void LaneDigests::abandon(const Streams& file) {
  if (md5_) md5_->abandon(file.md5);
  if (sha1_) sha1_->abandon(file.sha1);
}

AlgorithmSet without(AlgorithmSet algorithms, AlgorithmSet taken) {
  AlgorithmSet rest;
  for (Algorithm a : kAllAlgorithms)
    if (algorithms.contains(a) && !taken.contains(a)) rest.add(a);
  return rest;
}

}  // namespace dijk::scan
