#include "dataplane/match/lane_digests.h"

namespace dijk::match {

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

LaneDigests::Streams LaneDigests::open(AlgorithmSet wanted) {
  Streams s;
  s.algorithms = wanted.shared_with(algorithms_);
  if (s.has_md5()) s.md5 = md5_->open();
  if (s.has_sha1()) s.sha1 = sha1_->open();
  return s;
}

void LaneDigests::submit(const Streams& file, std::span<const std::uint8_t> bytes) {
  if (file.has_md5()) md5_->submit(file.md5, bytes);
  if (file.has_sha1()) sha1_->submit(file.sha1, bytes);
}

void LaneDigests::drain() {
  if (md5_) md5_->drain();
  if (sha1_) sha1_->drain();
}

void LaneDigests::finish(const Streams& file, FileFingerprinter& into) {
  if (file.has_md5()) into.add_digest(md5_->finish(file.md5));
  if (file.has_sha1()) into.add_digest(sha1_->finish(file.sha1));
}

void LaneDigests::abandon(const Streams& file) {
  if (file.has_md5()) md5_->abandon(file.md5);
  if (file.has_sha1()) sha1_->abandon(file.sha1);
}

std::string LaneDigests::describe() const {
  if (!in_use()) return {};
  std::string d;
  if (algorithms_.contains(Algorithm::md5)) d = "MD5";
  if (algorithms_.contains(Algorithm::sha1)) d += d.empty() ? "SHA-1" : "+SHA-1";
  return d + " in " + std::string(digest_lanes::lane_isa_name(isa_)) + " lanes";
}

}  // namespace dijk::match
