#include "apps/dijk-watch/catalog_hunter.h"

#include <filesystem>

#include "core/log_line.h"
#include "dataplane/catalog/hunt_run.h"

namespace dijk::watch {
namespace {

void log(const std::string& line) {
  log_line("dijk-watch", line);
}

bool same_set(const HashSet& set, const catalog::HuntMark& mark) {
  return set.header_checksum() == mark.set_checksum;
}

}  // namespace

void CatalogHunter::start(std::shared_ptr<const HashSet> live, const std::string& previous_path) {
  if (!live) return;  // no set yet: the first one is hunted when it comes (on_set)
  const auto mark = store_.hunted();
  if (!mark) {
    // A new catalog: what it will hold is read against this set as it comes in.
    store_.set_hunted({live->version(), live->header_checksum(), 0});
    hunted_ = std::move(live);
    return;
  }
  if (same_set(*live, *mark)) {
    hunted_ = std::move(live);
    return;
  }
  std::shared_ptr<const HashSet> previous;
  std::error_code ec;
  if (std::filesystem::exists(previous_path, ec)) {
    try {
      previous = HashSet::open(previous_path);
    } catch (const std::exception& e) {
      log("catalog: previous set unusable (" + std::string(e.what()) + ")");
    }
  }
  if (previous && same_set(*previous, *mark)) {
    log("catalog: set version " + std::to_string(live->version()) +
        " went live since the last hunt: hunting it");
    hunt(previous.get(), live);
    return;
  }
  log("catalog: last hunted against set version " + std::to_string(mark->set_version) +
      ", which is neither the live set nor previous.set: run `dijkctl catalog hunt --from` that version's "
      "set "
      "(or --all)");
  hunted_ = std::move(live);  // from here on, each new version is hunted
}

void CatalogHunter::on_set(std::shared_ptr<const HashSet> live) {
  if (!live || live == hunted_) return;
  if (hunted_ && live->header_checksum() == hunted_->header_checksum()) {
    hunted_ = std::move(live);
    return;
  }
  hunt(hunted_.get(), std::move(live));
}

void CatalogHunter::hunt(const HashSet* before, std::shared_ptr<const HashSet> after) {
  hunting_.store(true, std::memory_order_relaxed);
  try {
    const catalog::HuntReport r = catalog::run_retro_hunt(
        store_, before, after, hits_,
        [](const std::string& path, ScanProblem p, const std::string& detail) {
          if (p != ScanProblem::vanished) log(path + ": " + scan_problem_name(p) + " (" + detail + ")");
        },
        options_);
    hunts_.fetch_add(1, std::memory_order_relaxed);
    log("retro-hunt of set version " + std::to_string(after->version()) +
        (before == nullptr ? " (whole set)" : "") + ": " + std::to_string(r.added_exact) + " digests and " +
        std::to_string(r.added_pdq) + " PDQ hashes added, " + std::to_string(r.counts.records) +
        " catalogued files, " + std::to_string(r.candidates) + " candidates, " +
        std::to_string(r.reread.files) + " read again, " + std::to_string(r.reread.hits) + " hits, " +
        std::to_string(r.vanished) + " gone, in " + std::to_string(r.seconds) + " s");
  } catch (const std::exception& e) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    // The mark stays where it was: the next start hunts from there if previous.set still has it.
    log("retro-hunt of set version " + std::to_string(after->version()) + " failed: " + e.what());
  }
  hunting_.store(false, std::memory_order_relaxed);
  hunted_ = std::move(after);
}

}  // namespace dijk::watch
