#include "dataplane/filescan/file_matcher.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "hashcore/util/hex.h"

namespace dijk {

void FileHashState::start(FileTask task) {
  task_ = std::move(task);
  digests_.reset();
  head_size_ = 0;
}

void FileHashState::consume(std::span<const std::uint8_t> bytes) {
  if (head_size_ < head_.size()) {
    const std::size_t n = std::min(head_.size() - head_size_, bytes.size());
    std::memcpy(head_.data() + head_size_, bytes.data(), n);
    head_size_ += n;
  }
  digests_.update(bytes);
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
  if (outcome.hits.empty()) return;  // a non-matching hash goes no further than this line
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

}  // namespace dijk
