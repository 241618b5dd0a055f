// dijk-watch: files at rest as they are written (docs/operations.md, "Watched spools"). Every file closed
// after writing, or renamed, into a [[scan.watch]] tree is read once it has settled, hashed like
// `dijkctl scan` does (io_uring, digests, PDQ for images) against the live set, and each hit is journalled
// with its path, size, owner and mtime into the [[reporting.journals]] entry [scan] journal names, which
// dijk-control reports. A checkpoint says how far it had checked: after a restart, files changed since
// are checked first.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "apps/dijk-watch/catalog_hunter.h"
#include "config/cli/daemon_args.h"
#include "config/notify/sd_notify.h"
#include "config/schema/journals.h"
#include "config/schema/loader.h"
#include "control/journal/journal_writer.h"
#include "core/durable_file.h"
#include "core/log_line.h"
#include "core/unix_time.h"
#include "dataplane/events/hit_printer.h"
#include "dataplane/filescan/scanner.h"
#include "dataplane/filewatch/spool_watcher.h"
#include "dataplane/pipeline/live_set.h"

namespace {

using namespace dijk;

void log(const std::string& line) {
  log_line("dijk-watch", line);
}

// Hits go to the journal (the reporter delivers them) and to the log.
class WatchHits final : public HitSink {
 public:
  explicit WatchHits(journal::JournalWriter& journal) : journal_(journal) {}
  void on_hit(const HitEvent& hit) override {
    journal_.append_shared(hit);
    log(hit_human_line(hit));
  }

 private:
  journal::JournalWriter& journal_;
};

// The checkpoint: nanoseconds since the epoch before which every written file has been checked.
std::optional<std::int64_t> read_checkpoint(const std::string& path) {
  std::ifstream in(path);
  long long v = 0;
  if (!(in >> v) || v <= 0) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

class Checkpoint {
 public:
  explicit Checkpoint(std::string path) : path_(std::move(path)) {}
  // Everything before `t` is checked; written at most every few seconds, and by flush().
  void reached(std::int64_t t) {
    value_ = t;
    if (std::chrono::steady_clock::now() - written_at_ > std::chrono::seconds(5)) flush();
  }
  void flush() {
    if (value_ == written_) return;
    try {
      write_file_durably(path_, std::to_string(value_) + "\n", 0640);
      written_ = value_;
    } catch (const std::exception& e) {
      log(std::string("cannot write the checkpoint: ") + e.what());
    }
    written_at_ = std::chrono::steady_clock::now();
  }

 private:
  std::string path_;
  std::int64_t value_ = 0, written_ = 0;
  std::chrono::steady_clock::time_point written_at_{};
};

class Watcher {
 public:
  Watcher(const Config& config, LiveSet& set, HitSink& hits, catalog::CatalogStore* catalog)
      : config_(config), set_(set), hits_(hits), catalog_(catalog) {}

  // Reads `paths` (files, and directories to walk) of one tree; `since`: only files changed after it.
  void check(std::size_t tree, const std::vector<std::string>& paths, std::int64_t since = 0) {
    const auto current = set_.current();
    if (!current) return;  // no set yet: nothing can match
    ScanOptions options;
    options.filter = scan::PathFilter({}, config_.scan.watch[tree].exclude);
    options.changed_since_ns = since;
    options.max_file_bytes = config_.hashing.max_file_size_mb << 20;
    options.catalog = catalog_;  // a file that was written is read; a walked one only if its stat changed
    // A temp file renamed away before it settled has vanished: that is the normal case, not a problem.
    Scanner scanner(options, current, hits_,
                    [](const std::string& path, ScanProblem p, const std::string& detail) {
                      if (p == ScanProblem::vanished) return;
                      log(path + ": " + scan_problem_name(p) + " (" + detail + ")");
                    });
    const ScanSummary s = scanner.run(paths);
    files_ += s.files;
    hits_seen_ += s.hits;
  }
  std::uint64_t files() const { return files_; }
  std::uint64_t hits() const { return hits_seen_; }

 private:
  const Config& config_;
  LiveSet& set_;
  HitSink& hits_;
  catalog::CatalogStore* catalog_;
  std::uint64_t files_ = 0, hits_seen_ = 0;
};

int run(const std::string& config_file) {
  const auto loaded = load_config_file(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return 2;
  }
  const Config& config = loaded.config;
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (config.scan.watch.empty()) {
    // A fresh appliance: the unit is enabled everywhere, and a daemon that failed would count against
    // the appliance's health. Idle until stopped, as dijkd does without ports.
    log("idle: no [[scan.watch]] tree in " + config_file + "; add one and restart");
    sd::ready("idle: no [[scan.watch]] tree");
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) == 0 && sig != SIGHUP) break;
    }
    sd::stopping();
    return 0;
  }

  try {
    LiveSet live(config.paths.set, /*serve_later=*/true, "dijk-watch");
    live.watch(std::chrono::milliseconds(1000));
    const ReportedJournal target = reported_journal_named(config, config.scan.journal, "[scan] journal");
    journal::JournalOptions jopts;
    jopts.dir = target.dir;
    jopts.appliance_id = config.appliance_id;
    jopts.ack_state = target.ack_state;
    journal::JournalWriter journal(jopts);
    WatchHits hits(journal);
    std::vector<std::string> roots;
    for (const auto& w : config.scan.watch) roots.push_back(w.path);
    std::unique_ptr<catalog::CatalogStore> catalog;
    std::unique_ptr<watch::CatalogHunter> hunter;
    if (!config.scan.catalog.empty()) {
      catalog = std::make_unique<catalog::CatalogStore>(config.scan.catalog,
                                                        catalog::CatalogStore::Mode::read_write);
      catalog->add_roots(roots);
      ScanOptions hunt_options;
      hunt_options.max_file_bytes = config.hashing.max_file_size_mb << 20;
      hunter = std::make_unique<watch::CatalogHunter>(*catalog, hits, hunt_options);
      log("catalog " + config.scan.catalog + ": new set versions are hunted for in it");
    }
    Watcher watcher(config, live, hits, catalog.get());
    // Watches first, then the catch-up: a file written during the catch-up is seen by both, never by none.
    const watch::WatchBackend backend = config.scan.backend == "fanotify"  ? watch::WatchBackend::fanotify
                                        : config.scan.backend == "inotify" ? watch::WatchBackend::inotify
                                                                           : watch::WatchBackend::automatic;
    watch::SpoolWatcher spool(roots, std::chrono::milliseconds(config.scan.settle_ms), backend);
    if (!spool.why_not_fanotify().empty())
      log("fanotify unavailable (" + spool.why_not_fanotify() + "): using inotify");
    log("watching " + std::to_string(roots.size()) + " trees with " + spool.describe() + ", journal " +
        target.dir);

    Checkpoint checkpoint(config.scan.checkpoint);
    const std::int64_t started = static_cast<std::int64_t>(unix_now_ns());
    if (const auto since = read_checkpoint(config.scan.checkpoint)) {
      // Files changed while dijk-watch was down. The kernel stamps files from a coarse clock that may
      // lag the one the checkpoint was read from by a tick: 50 ms of slack covers it.
      const std::int64_t from = *since - 50'000'000;
      for (std::size_t t = 0; t < roots.size(); ++t) watcher.check(t, {roots[t]}, from);
      log("caught up: " + std::to_string(watcher.files()) + " files changed since the checkpoint checked, " +
          std::to_string(watcher.hits()) + " hits");
    }
    checkpoint.reached(started);
    checkpoint.flush();
    if (hunter) {
      const std::string previous =
          (std::filesystem::path(config.paths.set).parent_path() / "previous.set").string();
      hunter->start(live.current(), previous);
    }
    sd::ready("watching");

    const timespec no_wait{0, 0};
    for (;;) {
      const int sig = sigtimedwait(&signals, nullptr, &no_wait);
      if (sig == SIGHUP) {
        live.check_now();
      } else if (sig == SIGTERM || sig == SIGINT) {
        break;
      }
      const auto before = static_cast<std::int64_t>(unix_now_ns());
      for (const auto& batch : spool.next(std::chrono::milliseconds(200)))
        watcher.check(batch.tree, batch.paths);
      // A new set version: the catalog's files are hunted for what it added (events wait in the kernel's
      // queue meanwhile; an overflow is walked as always).
      if (hunter) hunter->on_set(live.current());
      // Every event read in next() came from a write before `before`; with nothing pending, each has
      // been checked.
      if (spool.idle()) checkpoint.reached(before);
    }
    sd::stopping();
    // Pending paths were not read: the checkpoint stays before them, so the next start checks them.
    checkpoint.flush();
    journal.close();
    const auto& st = spool.stats();
    log("stopped: " + std::to_string(watcher.files()) + " files checked, " + std::to_string(watcher.hits()) +
        " hits, " + std::to_string(st.overflows) + " queue overflows");
  } catch (const std::exception& e) {
    log(e.what());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = cli::parse_daemon_args(
      argc, argv, "dijk-watch",
      "Checks every file written into the [[scan.watch]] trees against the live set and\n"
      "journals hits for the reporter. See docs/operations.md.\n");
  return args.exit ? *args.exit : run(args.config);
}
