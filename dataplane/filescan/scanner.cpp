#include "dataplane/filescan/scanner.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "dataplane/filescan/file_reader.h"

namespace dijk {
namespace {

void add_counters(ScanSummary& s, const ScanCounters& c) {
  s.files += c.files.load(std::memory_order_relaxed);
  s.bytes += c.bytes.load(std::memory_order_relaxed);
  s.hits += c.hits.load(std::memory_order_relaxed);
  s.files_with_hits += c.files_with_hits.load(std::memory_order_relaxed);
  s.allow_listed += c.allow_listed.load(std::memory_order_relaxed);
  s.pdq_images += c.pdq_images.load(std::memory_order_relaxed);
  s.pdq_undecodable += c.pdq_undecodable.load(std::memory_order_relaxed);
  s.pdq_low_quality += c.pdq_low_quality.load(std::memory_order_relaxed);
  s.pdq_skipped_large += c.pdq_skipped_large.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kScanProblemCount; ++i)
    s.problems[i] += c.problems[i].load(std::memory_order_relaxed);
  s.listed_files += c.listed_files.load(std::memory_order_relaxed);
  s.listed_bytes += c.listed_bytes.load(std::memory_order_relaxed);
  s.excluded += c.excluded.load(std::memory_order_relaxed);
  s.unchanged += c.unchanged.load(std::memory_order_relaxed);
  s.catalogued += c.catalogued.load(std::memory_order_relaxed);
}

}  // namespace

std::uint64_t ScanSummary::errors() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kScanProblemCount; ++i) {
    if (scan_problem_is_error(static_cast<ScanProblem>(i))) n += problems[i];
  }
  return n;
}

ScanSummary Scanner::run(const ScanRoots& roots, const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  const unsigned threads =
      options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
  // A catalog records every digest, so that a later set holding any algorithm can be hunted for.
  const AlgorithmSet algorithms = options_.catalog != nullptr  ? AlgorithmSet::all()
                                  : set_->algorithms().empty() ? AlgorithmSet{}.add(Algorithm::md5)
                                                               : set_->algorithms();

  // Problems come from the walker and from every reader; one mutex keeps the named lines whole.
  std::mutex problem_mutex;
  scan::ProblemFn serialized = [&](const std::string& path, ScanProblem p, const std::string& detail) {
    std::lock_guard lock(problem_mutex);
    on_problem_(path, p, detail);
  };

  ScanSummary summary;
  summary.threads = threads;
  // With PDQ hashes in the set, readers keep each image's bytes for the decoder.
  ScanOptions reader_options = options_;
  // With a catalog, every image is kept for its PDQ hash too.
  reader_options.pdq =
      options_.catalog != nullptr || set_->section(setfile::SectionKind::pdq_hashes).has_value();
  std::vector<std::unique_ptr<FileReader>> readers;
  std::string why_not_uring;
  for (unsigned i = 0; i < threads; ++i) {
    std::unique_ptr<FileReader> r;
    if (!options_.force_pread) r = make_uring_reader(reader_options, algorithms, &why_not_uring);
    if (!r) r = make_pread_reader(reader_options, algorithms);
    readers.push_back(std::move(r));
  }
  summary.reader = options_.force_pread    ? "pread (forced)"
                   : why_not_uring.empty() ? readers.front()->describe()
                                           : why_not_uring;

  std::vector<ScanCounters> counters(threads + 1);  // the last one is the walker's
  FileTaskQueue queue(4096);
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      scan::FileMatcher matcher(set_, hits_, counters[i], serialized, options_.catalog, options_.hit_source,
                                options_.pdq_radius);
      readers[i]->run(queue, matcher);
    });
  }
  std::atomic<bool> walking{true};
  std::thread walker([&] {
    ScanCounters& walker_counters = counters[threads];
    PathWalker w(options_, queue, walker_counters,
                 [&](const std::string& path, ScanProblem p, const std::string& detail) {
                   walker_counters.add(walker_counters.problems[static_cast<std::size_t>(p)]);
                   serialized(path, p, detail);
                 });
    w.walk(roots.paths);
    if (roots.list != nullptr) w.walk_list(*roots.list);
    queue.close();
    walking = false;
  });

  if (progress) {
    while (walking || !queue.closed_and_empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ScanSummary so_far;
      so_far.walk_done = !walking;  // read before the counters: listed_* are final when it says so
      for (const auto& c : counters) add_counters(so_far, c);
      so_far.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      progress(so_far);
    }
  }
  walker.join();
  for (auto& w : workers) w.join();
  for (const auto& c : counters) add_counters(summary, c);
  summary.walk_done = true;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace dijk
