#include "dataplane/filesink/file_matcher.h"

#include <algorithm>
#include <cstring>

#include "hashcore/util/hex.h"

namespace dijk::wire {

struct FileMatcher::OpenFile {
  explicit OpenFile(AlgorithmSet algorithms) : digests(algorithms) {}
  StreamingDigests digests;
  bool hashing = false;
  FlowTuple flow;
  std::string method, host, uri, filename;
  std::uint64_t size = 0;
  std::array<std::uint8_t, kSniffBytes> head{};
  std::size_t head_len = 0;
  FileType type = FileType::unknown;
  bool sniffed = false;
  bool copying_image = false;
  std::vector<std::uint8_t> image;
};

FileMatcher::FileMatcher(const FileSinkConfig& config, HitSink& hits, ImageQueue* images,
                         StreamCounters& counters)
    : config_(config), hits_(hits), images_(images), counters_(counters) {}

FileMatcher::~FileMatcher() = default;

AlgorithmSet FileMatcher::algorithms_for_new_file() const {
  // Compute only what the current set can match: an MD5/SHA-1 list costs no SHA-256.
  AlgorithmSet out;
  if (!config_.digests || set_ == nullptr) return out;
  const AlgorithmSet in_set = set_->algorithms();
  for (Algorithm a : kAllAlgorithms) {
    if (config_.algorithms.contains(a) && in_set.contains(a)) out.add(a);
  }
  return out;
}

FileMatcher::OpenFile* FileMatcher::open(const FlowTuple& flow, const UploadInfo& info) {
  const AlgorithmSet algorithms = algorithms_for_new_file();
  std::unique_ptr<OpenFile> f;
  if (!pool_.empty()) {
    f = std::move(pool_.back());
    pool_.pop_back();
    if (f->digests.algorithms().bits() != algorithms.bits())
      f->digests = StreamingDigests(algorithms);
    else
      f->digests.reset();
  } else {
    f = std::make_unique<OpenFile>(algorithms);
  }
  f->hashing = !algorithms.empty();
  f->flow = flow;
  f->method = info.method;
  f->host = info.host;
  f->uri = info.uri;
  f->filename = info.filename;
  f->size = 0;
  f->head_len = 0;
  f->type = FileType::unknown;
  f->sniffed = false;
  f->copying_image = false;
  f->image.clear();
  ++counters_.files;
  ++open_count_;
  return f.release();
}

void FileMatcher::stop_image_copy(OpenFile& f, DropReason why) {
  if (!f.copying_image) return;
  f.copying_image = false;
  image_copy_used_ -= f.image.size();
  f.image.clear();
  f.image.shrink_to_fit();
  ++counters_.pdq_skipped;
  counters_.drop(why);
}

void FileMatcher::write(OpenFile* f, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  f->size += bytes.size();
  if (f->hashing) {
    f->digests.update(bytes);
    counters_.bytes_hashed += bytes.size();
  }
  if (!f->sniffed) {
    const std::size_t n = std::min(bytes.size(), kSniffBytes - f->head_len);
    std::memcpy(f->head.data() + f->head_len, bytes.data(), n);
    f->head_len += n;
    if (f->head_len < kSniffBytes) return;  // everything so far is in head
    f->sniffed = true;
    f->type = sniff_file_type(f->head);
    if (is_image(f->type) && images_ != nullptr && config_.digests) {
      f->copying_image = true;
      f->image.assign(f->head.begin(), f->head.end());
      image_copy_used_ += kSniffBytes;
      bytes = bytes.subspan(n);
    } else {
      return;
    }
  }
  if (!f->copying_image || bytes.empty()) return;
  if (f->image.size() + bytes.size() > config_.max_image_copy) {
    stop_image_copy(*f, DropReason::image_too_large);
    return;
  }
  if (image_copy_used_ + bytes.size() > config_.image_copy_memory) {
    stop_image_copy(*f, DropReason::image_queue_full);
    return;
  }
  f->image.insert(f->image.end(), bytes.begin(), bytes.end());
  image_copy_used_ += bytes.size();
}

void FileMatcher::finish(OpenFile* raw, bool complete, std::uint64_t time_ns) {
  std::unique_ptr<OpenFile> f(raw);
  --open_count_;
  if (!f->sniffed) f->type = sniff_file_type({f->head.data(), f->head_len});
  if (!complete) {
    ++counters_.truncated_files;
  } else if (f->size > 0) {
    // A file an exact digest settled (a hit, or allow-listed) needs no perceptual look: PDQ would only
    // report the same upload again, or report an image the hotline has declared benign.
    const bool settled = f->hashing && match(*f, time_ns);
    if (f->copying_image && !settled) queue_image(*f, time_ns);
  }
  if (f->copying_image) {
    image_copy_used_ -= f->image.size();
    f->copying_image = false;
  }
  f->image.clear();
  if (f->image.capacity() > (1u << 20)) f->image.shrink_to_fit();
  pool_.push_back(std::move(f));
}

bool FileMatcher::match(OpenFile& f, std::uint64_t time_ns) {
  const DigestResults digests = f.digests.finish();
  ++counters_.files_matched;
  if (set_ == nullptr) return false;
  const MatchOutcome outcome = set_->match(digests);
  if (outcome.allow_listed) {
    ++counters_.allow_listed;
    return true;
  }
  for (const ExactHit& h : outcome.hits) {
    HitEvent e;
    e.time_ns = time_ns;
    e.source = HitSource::wire;
    e.flow = f.flow;
    e.method = f.method;
    e.host = f.host;
    e.uri = f.uri;
    e.filename = f.filename;
    e.size = f.size;
    e.file_type = std::string(file_type_name(f.type));
    e.kind = HitKind::exact;
    e.algorithm = std::string(algorithm_name(h.algorithm));
    e.hash = to_hex({h.digest.bytes.data(), h.digest.size()});
    if (h.list_index < set_->lists().size()) {
      e.list = set_->list(h.list_index).name;
      e.category = set_->list(h.list_index).category;
    }
    e.set_version = set_->version();
    ++counters_.hits;
    hits_.on_hit(e);
  }
  return !outcome.hits.empty();
}

void FileMatcher::queue_image(OpenFile& f, std::uint64_t time_ns) {
  auto job = std::make_unique<ImageJob>();
  job->time_ns = time_ns;
  job->flow = f.flow;
  job->method = f.method;
  job->host = f.host;
  job->uri = f.uri;
  job->filename = f.filename;
  job->file_type = std::string(file_type_name(f.type));
  job->set_version = set_ != nullptr ? set_->version() : 0;
  job->bytes = std::move(f.image);
  image_copy_used_ -= job->bytes.size();
  f.copying_image = false;
  f.image = {};
  if (images_->try_push(job)) {
    ++counters_.pdq_queued;
  } else {
    ++counters_.pdq_skipped;
    counters_.drop(DropReason::image_queue_full);
  }
}

FlowFiles::~FlowFiles() {
  if (file_ != nullptr) matcher_.finish(file_, false, 0);
}

void FlowFiles::begin_file(const UploadInfo& info, std::uint64_t time_ns) {
  (void)time_ns;
  if (file_ != nullptr) matcher_.finish(file_, false, time_ns);
  file_ = matcher_.open(flow_, info);
}

void FlowFiles::file_data(std::span<const std::uint8_t> bytes) {
  if (file_ != nullptr) matcher_.write(file_, bytes);
}

void FlowFiles::end_file(bool complete, std::uint64_t time_ns) {
  if (file_ == nullptr) return;
  matcher_.finish(file_, complete, time_ns);
  file_ = nullptr;
}

}  // namespace dijk::wire
