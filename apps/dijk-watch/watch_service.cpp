#include "apps/dijk-watch/watch_service.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "apps/dijk-watch/catalog_hunter.h"
#include "config/cli/version.h"
#include "config/schema/journals.h"
#include "control/journal/journal_writer.h"
#include "core/durable_file.h"
#include "core/log_line.h"
#include "core/unix_time.h"
#include "dataplane/catalog/catalog_store.h"
#include "dataplane/events/hit_printer.h"
#include "dataplane/filescan/scanner.h"
#include "dataplane/filewatch/spool_watcher.h"
#include "dataplane/pipeline/live_set.h"
#include "hashcore/pdq_index/pdq_set_section.h"

namespace dijk::watch {
namespace {

using Clock = std::chrono::steady_clock;

void log(const std::string& line) {
  log_line("dijk-watch", line);
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// The checkpoint file: nanoseconds since the epoch before which every written file has been checked.
std::optional<std::int64_t> read_checkpoint(const std::string& path) {
  std::ifstream in(path);
  long long v = 0;
  if (!(in >> v) || v <= 0) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

WatchBackend backend_named(const std::string& name) {
  if (name == "fanotify") return WatchBackend::fanotify;
  if (name == "inotify") return WatchBackend::inotify;
  return WatchBackend::automatic;
}

}  // namespace

// Hits go to the journal (the reporter delivers them) and to the log, counted by where they came from.
class WatchService::Hits final : public HitSink {
 public:
  Hits(journal::JournalWriter& journal, WatchCounters& counters) : journal_(journal), counters_(counters) {}
  void on_hit(const HitEvent& hit) override {
    journal_.append_shared(hit);
    (hit.source == HitSource::retrohunt ? counters_.retrohunt_hits : counters_.hits).fetch_add(1);
    log(hit_human_line(hit));
  }

 private:
  journal::JournalWriter& journal_;
  WatchCounters& counters_;
};

// Writes the checkpoint at most every few seconds while it advances, and on flush().
class WatchService::Checkpoint {
 public:
  Checkpoint(std::string path, WatchCounters& counters) : path_(std::move(path)), counters_(counters) {}
  void reached(std::int64_t t) {
    value_ = t;
    if (Clock::now() - written_at_ > std::chrono::seconds(5)) flush();
  }
  void flush() {
    if (value_ == written_) return;
    try {
      write_file_durably(path_, std::to_string(value_) + "\n", 0640);
      written_ = value_;
      counters_.checkpoint_advanced_ns.store(steady_ns());
    } catch (const std::exception& e) {
      log(std::string("cannot write the checkpoint: ") + e.what());
    }
    written_at_ = Clock::now();
  }

 private:
  std::string path_;
  WatchCounters& counters_;
  std::int64_t value_ = 0, written_ = 0;
  Clock::time_point written_at_{};
};

WatchService::WatchService(const Config& config) : config_(config) {
  mark_turned();
  if (config_.scan.watch.empty()) {
    // A fresh appliance: the unit is enabled everywhere, and a daemon that failed would count against the
    // appliance's health. It idles, as dijkd does without ports.
    backend_ = "idle: no [[scan.watch]] tree";
    return;
  }
  live_ = std::make_unique<LiveSet>(config_.paths.set, /*serve_later=*/true, "dijk-watch");
  live_->watch(std::chrono::milliseconds(1000));
  const ReportedJournal target = reported_journal_named(config_, config_.scan.journal, "[scan] journal");
  journal::JournalOptions jopts;
  jopts.dir = target.dir;
  jopts.appliance_id = config_.appliance_id;
  jopts.ack_state = target.ack_state;
  journal_ = std::make_unique<journal::JournalWriter>(jopts);
  hits_ = std::make_unique<Hits>(*journal_, counters_);
  for (const auto& w : config_.scan.watch) roots_.push_back(w.path);
  if (!config_.scan.catalog.empty()) {
    catalog_ = std::make_unique<catalog::CatalogStore>(config_.scan.catalog,
                                                       catalog::CatalogStore::Mode::read_write);
    catalog_->add_roots(roots_);
    ScanOptions hunt_options;
    hunt_options.max_file_bytes = config_.hashing.max_file_size_mb << 20;
    hunt_options.digest_lanes = digest_lanes::lane_isa_for_setting(config_.hashing.digest_lanes);
    hunt_options.pdq_radius = static_cast<int>(config_.hashing.pdq_max_distance);
    hunter_ = std::make_unique<CatalogHunter>(*catalog_, *hits_, hunt_options);
    log("catalog " + config_.scan.catalog + ": new set versions are hunted for in it");
  }
  spool_ = std::make_unique<SpoolWatcher>(roots_, std::chrono::milliseconds(config_.scan.settle_ms),
                                          backend_named(config_.scan.backend));
  if (!spool_->why_not_fanotify().empty())
    log("fanotify unavailable (" + spool_->why_not_fanotify() + "): using inotify");
  backend_ = spool_->describe();
  checkpoint_ = std::make_unique<Checkpoint>(config_.scan.checkpoint, counters_);
  log("watching " + std::to_string(roots_.size()) + " trees with " + backend_ + ", journal " + target.dir);
}

WatchService::~WatchService() = default;

void WatchService::mark_turned() {
  counters_.turned_ns.store(steady_ns(), std::memory_order_relaxed);
}

// Reads `paths` (files, and directories to walk) of one tree; `since`: only files changed after it.
void WatchService::check(std::size_t tree, const std::vector<std::string>& paths, std::int64_t since) {
  const auto current = live_->current();
  if (!current) return;  // no set yet: nothing can match
  ScanOptions options;
  options.filter = scan::PathFilter({}, config_.scan.watch[tree].exclude);
  options.changed_since_ns = since;
  options.max_file_bytes = config_.hashing.max_file_size_mb << 20;
  options.digest_lanes = digest_lanes::lane_isa_for_setting(config_.hashing.digest_lanes);
  options.pdq_radius = static_cast<int>(config_.hashing.pdq_max_distance);
  options.catalog = catalog_.get();  // a file that was written is read; a walked one only if its stat changed
  // A temp file renamed away before it settled has vanished: that is the normal case, not a problem.
  Scanner scanner(options, current, *hits_,
                  [this](const std::string& path, ScanProblem p, const std::string& d) {
                    if (p == ScanProblem::vanished) return;
                    counters_.read_errors.fetch_add(1, std::memory_order_relaxed);
                    log(path + ": " + scan_problem_name(p) + " (" + d + ")");
                  });
  counters_.reading.store(true, std::memory_order_relaxed);
  const ScanSummary s = scanner.run(paths);
  counters_.reading.store(false, std::memory_order_relaxed);
  counters_.files.fetch_add(s.files, std::memory_order_relaxed);
  counters_.bytes.fetch_add(s.bytes, std::memory_order_relaxed);
}

void WatchService::catch_up() {
  if (!spool_) return;
  // The watches exist already (constructor), so a file written during the catch-up is seen by both, never
  // by none.
  const std::int64_t started = static_cast<std::int64_t>(unix_now_ns());
  if (const auto since = read_checkpoint(config_.scan.checkpoint)) {
    // Files changed while dijk-watch was down. The kernel stamps files from a coarse clock that may lag
    // the one the checkpoint was read from by a tick: 50 ms of slack covers it.
    const std::int64_t from = *since - 50'000'000;
    for (std::size_t t = 0; t < roots_.size(); ++t) {
      check(t, {roots_[t]}, from);
      mark_turned();
    }
    log("caught up: " + std::to_string(counters_.files.load()) +
        " files changed since the checkpoint checked, " + std::to_string(counters_.hits.load()) + " hits");
  }
  checkpoint_->reached(started);
  checkpoint_->flush();
  if (hunter_) {
    const std::string previous =
        (std::filesystem::path(config_.paths.set).parent_path() / "previous.set").string();
    hunter_->start(live_->current(), previous);
  }
}

void WatchService::turn() {
  if (!spool_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    mark_turned();
    return;
  }
  const auto before = static_cast<std::int64_t>(unix_now_ns());
  for (const auto& batch : spool_->next(std::chrono::milliseconds(200))) check(batch.tree, batch.paths);
  // A new set version: the catalog's files are hunted for what it added (events wait in the kernel's
  // queue meanwhile; an overflow is walked as always).
  if (hunter_) hunter_->on_set(live_->current());
  // Every event read in next() came from a write before `before`; with nothing pending, each has been
  // checked.
  if (spool_->idle()) checkpoint_->reached(before);
  const WatchStats& st = spool_->stats();
  counters_.events.store(st.events, std::memory_order_relaxed);
  counters_.overflows.store(st.overflows, std::memory_order_relaxed);
  counters_.pending_full.store(st.pending_full, std::memory_order_relaxed);
  counters_.pending.store(spool_->pending(), std::memory_order_relaxed);
  mark_turned();
}

void WatchService::check_set_now() {
  if (live_) live_->check_now();
}

void WatchService::stop() {
  if (!spool_) return;
  // Pending paths were not read: the checkpoint stays before them, so the next start checks them.
  checkpoint_->flush();
  journal_->close();
  log("stopped: " + std::to_string(counters_.files.load()) + " files checked, " +
      std::to_string(counters_.hits.load()) + " hits, " + std::to_string(counters_.overflows.load()) +
      " queue overflows");
}

bool WatchService::alive() const {
  // A catch-up or an overflow walks whole trees, and a retro-hunt of a large catalog takes minutes at
  // 100M files; neither turns the loop meanwhile, so while one runs the daemon counts as alive. The
  // watchdog then catches a loop that stopped between them, not a read that hangs.
  if (counters_.reading.load(std::memory_order_relaxed) || (hunter_ && hunter_->hunting())) return true;
  return steady_ns() - counters_.turned_ns.load(std::memory_order_relaxed) < 30'000'000'000;
}

std::string WatchService::describe() const {
  return backend_;
}

admin::DaemonStatus WatchService::status(Clock::time_point started) const {
  admin::DaemonStatus s;
  s.daemon = "dijk-watch";
  s.version = std::string(cli::dijk_version());
  s.pid = getpid();
  s.uptime_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count());
  s.appliance_id = config_.appliance_id;
  admin::WatchStatus w;
  w.backend = backend_;
  w.trees = roots_.size();
  w.files_checked = counters_.files.load();
  w.bytes_checked = counters_.bytes.load();
  w.hits = counters_.hits.load();
  w.retrohunt_hits = counters_.retrohunt_hits.load();
  w.hunts = hunter_ ? hunter_->hunts() : 0;
  w.overflows = counters_.overflows.load();
  w.pending = counters_.pending.load();
  w.catalog = config_.scan.catalog;
  if (const std::int64_t at = counters_.checkpoint_advanced_ns.load(); at != 0)
    w.checkpoint_age_s = static_cast<std::uint64_t>((steady_ns() - at) / 1'000'000'000);
  s.watch = w;
  if (!live_) return s;  // idle: no set is needed, and none missing is a problem
  if (const auto set = live_->current()) {
    const std::int64_t age = unix_now() - set->created_unix();
    s.set = admin::SetStatus{set->version(), set_entry_count(*set),
                             age > 0 ? static_cast<std::uint64_t>(age) : 0, live_->path()};
  }
  s.set_error = live_->status().last_error;
  if (hunter_ && hunter_->failures() > 0)
    s.alarms.push_back(std::to_string(hunter_->failures()) + " retro-hunts failed (see the log)");
  return s;
}

void WatchService::collect(std::vector<metrics::Sample>& out) const {
  const auto counter = [&out](const char* name, const char* help, std::uint64_t v) {
    out.push_back({name, help, metrics::Type::kCounter, {}, static_cast<double>(v)});
  };
  counter("dijk_watch_files_total", "Written files read and checked against the set.",
          counters_.files.load());
  counter("dijk_watch_bytes_total", "Bytes of written files read and checked.", counters_.bytes.load());
  counter("dijk_watch_hits_total", "Hits in written files, journalled.", counters_.hits.load());
  counter("dijk_watch_retrohunt_hits_total", "Stored files that a new set version made hits, journalled.",
          counters_.retrohunt_hits.load());
  counter("dijk_watch_read_errors_total", "Files that could not be read (vanished files are not counted).",
          counters_.read_errors.load());
  counter("dijk_watch_events_total", "Close-after-write, rename and new-directory events taken.",
          counters_.events.load());
  counter("dijk_watch_queue_overflows_total", "Kernel event queue overflows; every tree was walked again.",
          counters_.overflows.load());
  counter("dijk_watch_pending_full_total", "Times the pending bound made a whole tree be walked instead.",
          counters_.pending_full.load());
  counter("dijk_watch_hunts_total", "Retro-hunts of the catalog run for new set versions.",
          hunter_ ? hunter_->hunts() : 0);
  counter("dijk_watch_hunt_failures_total", "Retro-hunts that failed.", hunter_ ? hunter_->failures() : 0);
  out.push_back({"dijk_watch_pending_paths",
                 "Paths waiting to settle before they are read.",
                 metrics::Type::kGauge,
                 {},
                 static_cast<double>(counters_.pending.load())});
}

}  // namespace dijk::watch
