#include "dataplane/pipeline/pdq_stage.h"

#include <chrono>
#include <optional>

#include "hashcore/pdq/pdq_hasher.h"

namespace dijk {

namespace {

PdqOptions pdq_options(const PdqStageOptions& o) {
  PdqOptions p;
  p.limits.max_pixels = o.max_pixels;
  p.limits.max_file_bytes = o.max_file_bytes;
  return p;
}

// One PDQ thread's own state: its hasher (buffers reused across images) and the set version it searches.
class PdqThreadContext {
 public:
  PdqThreadContext(LiveSet& set, const std::atomic<int>& radius, const PdqStageOptions& options)
      : set_(set), radius_(radius), hasher_(pdq_options(options)) {}

  // Hashes one image and searches it; each match becomes a hit of kind pdq.
  void handle(const match::ImageJob& job, PdqStageCounters& counters, HitSink& hits) {
    refresh_set();
    ++counters.images;
    if (!matcher_ || !matcher_->has_pdq()) {
      ++counters.no_pdq_section;
      return;
    }
    const auto result = hasher_.hash_file_bytes(job.bytes);
    if (!result) {
      ++counters.undecodable;
      return;
    }
    ++counters.hashed;
    const match::PdqHits found =
        matcher_->pdq_hits(result->hash, result->quality, radius_.load(std::memory_order_relaxed));
    if (found.look == match::PdqLook::low_quality) {
      ++counters.low_quality;
      return;
    }
    for (const match::SetHit& h : found.hits) {
      ++counters.hits;
      hits.on_hit(match::make_hit(job.where, job.bytes.size(), job.file_type, h, matcher_->set()));
    }
  }

 private:
  void refresh_set() {
    const std::uint64_t g = set_.generation();
    if (matcher_ && g == generation_) return;
    generation_ = g;
    matcher_.reset();
    if (auto set = set_.current()) {
      matcher_.emplace(std::move(set));
      matcher_->load_pdq();  // false: a PDQ section that does not verify, counted as no PDQ section
    }
  }

  LiveSet& set_;
  const std::atomic<int>& radius_;
  PdqHasher hasher_;
  std::uint64_t generation_ = 0;
  std::optional<match::Matcher> matcher_;  // for the set of generation_
};

}  // namespace

PdqStage::PdqStage(PdqStageOptions options, LiveSet& set, HitLaneSource& hits)
    : options_(options), set_(set), hits_(hits), queue_(options.queue_capacity), radius_(options.radius) {}

PdqStage::~PdqStage() {
  draining_.store(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void PdqStage::start() {
  for (unsigned i = 0; i < options_.threads; ++i) {
    HitSink& lane = hits_.new_lane();  // each PDQ thread its own journal lane
    threads_.emplace_back([this, &lane] { run(lane); });
  }
}

void PdqStage::drain_and_stop() {
  draining_.store(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void PdqStage::run(HitSink& hits) {
  PdqThreadContext context(set_, radius_, options_);
  for (;;) {
    if (auto job = queue_.try_pop()) {
      context.handle(*job, counters_, hits);
      continue;
    }
    if (draining_.load()) return;  // the queue was empty after the workers stopped
    // Images are rare next to packets: a short sleep when idle costs little latency and no CPU.
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

void PdqStage::append_counters(dpdk::CounterList& out) const {
#define DIJK_APPEND(name, help) out.emplace_back("pdq_" #name, counters_.name.load());
  DIJK_PDQ_STAGE_COUNTERS(DIJK_APPEND)
#undef DIJK_APPEND
}

std::string_view pdq_stage_counter_help(std::string_view name) {
#define DIJK_HELP(counter, help) \
  if (name == "pdq_" #counter) return help;
  DIJK_PDQ_STAGE_COUNTERS(DIJK_HELP)
#undef DIJK_HELP
  return {};
}

}  // namespace dijk
