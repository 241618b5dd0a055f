#include "dataplane/filescan/file_matcher.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/util/hex.h"

namespace dijk::scan {

void FileHashState::start(FileTask task) {
  task_ = std::move(task);
  digests_.reset();
  head_size_ = 0;
  image_.clear();
  image_overflow_ = keep_image_bytes_ == 0;
}

void FileHashState::consume(std::span<const std::uint8_t> bytes) {
  if (head_size_ < head_.size()) {
    const std::size_t n = std::min(head_.size() - head_size_, bytes.size());
    std::memcpy(head_.data() + head_size_, bytes.data(), n);
    head_size_ += n;
  }
  digests_.update(bytes);
  if (!image_overflow_) {
    // Only images are kept; the type is known once the first bytes are in.
    if (head_size_ == head_.size() && !is_image(type())) {
      image_overflow_ = true;
    } else if (image_.size() + bytes.size() > keep_image_bytes_) {
      image_overflow_ = true;
      image_.clear();
    } else {
      image_.insert(image_.end(), bytes.begin(), bytes.end());
    }
  }
}

FileMatcher::FileMatcher(std::shared_ptr<const HashSet> set, HitSink& hits, ScanCounters& counters,
                         ProblemFn on_problem)
    : set_(std::move(set)), hits_(hits), counters_(counters), on_problem_(std::move(on_problem)) {
  // A set whose PDQ section does not validate still matches digests; the PDQ part is named and skipped.
  std::string error;
  pdq_index_ = pdq_index_of(*set_, &error);
  if (!pdq_index_) {
    on_problem_(set_->path(), ScanProblem::unreadable, "PDQ section unusable: " + error);
    pdq_index_ = PdqIndex{};
  }
  if (!pdq_index_->empty()) pdq_ = std::make_unique<PdqHasher>();
}

void FileMatcher::match_pdq(FileHashState& file, std::uint64_t size, FileType type) {
  if (!pdq_ || !is_image(type)) return;
  if (file.image_too_large()) {
    counters_.add(counters_.pdq_skipped_large);
    return;
  }
  const auto result = pdq_->hash_file_bytes(file.image());
  if (!result) {
    counters_.add(counters_.pdq_undecodable);
    return;
  }
  counters_.add(counters_.pdq_images);
  // Too flat to mean anything: never matched (it would match every other flat image).
  if (result->quality < kPdqDefaultMinQuality) {
    counters_.add(counters_.pdq_low_quality);
    return;
  }
  bool counted = false;
  pdq_index_->search(result->hash, {}, [&](const PdqMatch& m) {
    if (!counted) counters_.add(counters_.files_with_hits);
    counted = true;
    counters_.add(counters_.hits);
    HitEvent e;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    e.time_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
    e.source = HitSource::file;
    e.path = file.task().path;
    e.size = size;
    e.file_type = std::string(file_type_name(type));
    e.kind = HitKind::pdq;
    e.algorithm = "pdq";
    e.hash = pdq_index_->hash(m.id).to_hex();  // the listed hash that matched
    const ListInfo& list = set_->list(m.list_index);
    e.list = list.name;
    e.category = list.category;
    e.pdq_distance = static_cast<std::uint32_t>(m.distance);
    e.pdq_quality = static_cast<std::uint32_t>(result->quality);
    e.set_version = set_->version();
    hits_.on_hit(e);
  });
}

void FileMatcher::complete(FileHashState& file) {
  const std::uint64_t size = file.bytes_seen();
  const FileType type = file.type();
  const DigestResults digests = file.finish();
  counters_.add(counters_.files);
  counters_.add(counters_.bytes, size);
  const MatchOutcome outcome = set_->match(digests);
  if (outcome.allow_listed) {
    counters_.add(counters_.allow_listed);
    return;
  }
  // An exact hit says more than a perceptual one: PDQ only for files no digest matched.
  if (outcome.hits.empty()) return match_pdq(file, size, type);  // non-matching hashes go no further
  counters_.add(counters_.files_with_hits);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  for (const ExactHit& h : outcome.hits) {
    counters_.add(counters_.hits);
    HitEvent e;
    e.time_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
    e.source = HitSource::file;
    e.path = file.task().path;
    e.size = size;
    e.file_type = std::string(file_type_name(type));
    e.kind = HitKind::exact;
    e.algorithm = std::string(algorithm_name(h.algorithm));
    e.hash = to_hex({h.digest.bytes.data(), h.digest.size()});
    const ListInfo& list = set_->list(h.list_index);
    e.list = list.name;
    e.category = list.category;
    e.set_version = set_->version();
    hits_.on_hit(e);
  }
}

void FileMatcher::problem(const std::string& path, ScanProblem p, const std::string& detail) {
  counters_.add(counters_.problems[static_cast<std::size_t>(p)]);
  on_problem_(path, p, detail);
}

}  // namespace dijk::scan
