#include "dataplane/http/upload_files.h"

#include <algorithm>
#include <cstring>

namespace dijk::wire {

struct UploadFiles::OpenFile {
  OpenFile(AlgorithmSet algorithms, match::ImageCopyBudget* budget) : fingerprinter(algorithms, budget) {}
  match::FileFingerprinter fingerprinter;
  match::LaneDigests::Streams lanes;  // its MD5 and SHA-1, when hashed in the lanes
  bool hashing = false;               // some digest is computed, here or in the lanes
  match::FileContext where;
};

namespace {
// Big enough that a drain finds the bytes of many uploads queued; small enough that a drain (about 15 us
// of hashing in AVX-512 lanes) holds the frames of its burst on the inline bridge little longer than the
// one-stream path would (ips_latency_bench: p99 16 us, prevention off, against 155 us with 512 KiB).
constexpr std::size_t kLaneArenaBytes = 64 * 1024;
}  // namespace

UploadFiles::UploadFiles(const UploadFilesConfig& config, HitSink& hits, match::ImageQueue* images,
                         StreamCounters& counters)
    : config_(config),
      hits_(hits),
      images_(config.digests ? images : nullptr),
      counters_(counters),
      budget_(config.max_image_copy, config.image_copy_memory),
      lanes_(config.digests ? config.algorithms : AlgorithmSet{},
             config.digest_lanes.value_or(digest_lanes::lane_isa_from_environment())) {
  if (lanes_.in_use()) lane_arena_.resize(kLaneArenaBytes);
}

UploadFiles::~UploadFiles() = default;

void UploadFiles::set_hash_set(std::shared_ptr<const HashSet> set) {
  if (set == nullptr)
    matcher_.reset();
  else
    matcher_.emplace(std::move(set));
}

AlgorithmSet UploadFiles::algorithms_for_new_file() const {
  // Compute only what the current set can match: an MD5/SHA-1 list costs no SHA-256.
  if (!config_.digests || !matcher_) return {};
  return config_.algorithms.shared_with(matcher_->algorithms());
}

UploadFiles::OpenFile* UploadFiles::open(const FlowTuple& flow, const UploadInfo& info) {
  const AlgorithmSet algorithms = algorithms_for_new_file();
  std::unique_ptr<OpenFile> f;
  if (!pool_.empty()) {
    f = std::move(pool_.back());
    pool_.pop_back();
  } else {
    f = std::make_unique<OpenFile>(algorithms, images_ != nullptr ? &budget_ : nullptr);
  }
  // MD5 and SHA-1 from the lanes; the fingerprinter computes what is left (SHA-256), sniffs and copies.
  f->lanes = lanes_.open(algorithms);
  f->fingerprinter.start(algorithms.without(f->lanes.algorithms));
  f->hashing = !algorithms.empty();
  f->where.source = HitSource::wire;
  f->where.flow = flow;
  f->where.method = info.method;
  f->where.host = info.host;
  f->where.uri = info.uri;
  f->where.filename = info.filename;
  ++counters_.files;
  ++open_count_;
  return f.release();
}

void UploadFiles::write(OpenFile* f, std::span<const std::uint8_t> bytes) {
  f->fingerprinter.update(bytes);
  if (!f->lanes.algorithms.empty()) submit_to_lanes(*f, bytes);
  if (f->hashing) counters_.bytes_hashed += bytes.size();
}

void UploadFiles::submit_to_lanes(OpenFile& f, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    if (lane_arena_used_ == lane_arena_.size()) drain_lanes();
    const std::size_t n = std::min(bytes.size(), lane_arena_.size() - lane_arena_used_);
    std::uint8_t* at = lane_arena_.data() + lane_arena_used_;
    std::memcpy(at, bytes.data(), n);
    lanes_.submit(f.lanes, {at, n});
    lane_arena_used_ += n;
    bytes = bytes.subspan(n);
  }
}

void UploadFiles::drain_lanes() {
  lanes_.drain();
  lane_arena_used_ = 0;
}

void UploadFiles::count_image_copy(match::ImageCopy copy) {
  if (copy != match::ImageCopy::too_large && copy != match::ImageCopy::over_budget) return;
  ++counters_.pdq_skipped;
  counters_.drop(copy == match::ImageCopy::too_large ? DropReason::image_too_large
                                                     : DropReason::image_queue_full);
}

void UploadFiles::finish(OpenFile* raw, bool complete, std::uint64_t time_ns) {
  std::unique_ptr<OpenFile> f(raw);
  --open_count_;
  count_image_copy(f->fingerprinter.image_copy());
  const bool in_lanes = !f->lanes.algorithms.empty();
  if (in_lanes && complete) {
    drain_lanes();  // every upload's queued bytes, this one's among them: the lanes run full
    lanes_.finish(f->lanes, f->fingerprinter);
  } else if (in_lanes) {
    lanes_.abandon(f->lanes);
  }
  f->lanes = {};
  if (!complete) {
    ++counters_.truncated_files;
  } else if (f->fingerprinter.size() > 0) {
    f->where.time_ns = time_ns;
    const bool hashing = f->hashing && matcher_;
    if (hashing) ++counters_.files_matched;
    // PDQ runs on the PDQ stage's threads, not here: no hasher. Only what no digest settled is queued.
    match::CheckResult r =
        hashing ? matcher_->hits_for(f->fingerprinter, f->where, nullptr) : match::CheckResult{};
    if (!hashing) r.fingerprint = f->fingerprinter.finish();
    if (r.allow_listed) ++counters_.allow_listed;
    for (const HitEvent& e : r.hits) {
      ++counters_.hits;
      hits_.on_hit(e);
    }
    if (!r.allow_listed && r.hits.empty()) queue_image(*f, r.fingerprint);
  }
  (void)f->fingerprinter.take_image();  // a copy not queued gives its bytes back to the budget now
  pool_.push_back(std::move(f));
}

void UploadFiles::queue_image(OpenFile& f, const match::FileFingerprint& fingerprint) {
  if (images_ == nullptr || f.fingerprinter.image_copy() != match::ImageCopy::kept) return;
  auto job = std::make_unique<match::ImageJob>();
  job->where = f.where;
  job->file_type = std::string(file_type_name(fingerprint.type));
  job->bytes = f.fingerprinter.take_image();
  if (images_->try_push(job)) {
    ++counters_.pdq_queued;
  } else {
    ++counters_.pdq_skipped;
    counters_.drop(DropReason::image_queue_full);
  }
}

FlowFiles::~FlowFiles() {
  if (file_ != nullptr) files_.finish(file_, false, 0);
}

void FlowFiles::begin_file(const UploadInfo& info, std::uint64_t time_ns) {
  if (file_ != nullptr) files_.finish(file_, false, time_ns);
  file_ = files_.open(flow_, info);
}

void FlowFiles::file_data(std::span<const std::uint8_t> bytes) {
  if (file_ != nullptr) files_.write(file_, bytes);
}

void FlowFiles::end_file(bool complete, std::uint64_t time_ns) {
  if (file_ == nullptr) return;
  files_.finish(file_, complete, time_ns);
  file_ = nullptr;
}

}  // namespace dijk::wire
