#pragma once
// dijk-watch's retro-hunts: whenever a new set version goes live, the fingerprint catalog is hunted for
// what it added (dataplane/catalog/hunt_run.h), and hits are reported with source `retrohunt`. At start,
// a catalog last hunted against the set now in previous.set is hunted from there, so a version that went
// live while dijk-watch was down is not missed; one further behind is logged for `dijkctl catalog hunt`.
#include <atomic>
#include <memory>
#include <string>

#include "dataplane/catalog/hunt_run.h"

namespace dijk::watch {

class CatalogHunter {
 public:
  CatalogHunter(catalog::CatalogStore& store, HitSink& hits, ScanOptions options)
      : store_(store), hits_(hits), options_(std::move(options)) {}

  // The set live at start, and the folder's previous.set (may not exist).
  void start(std::shared_ptr<const HashSet> live, const std::string& previous_path);
  // Called with the live set as it is now: hunts if it is a new one.
  void on_set(std::shared_ptr<const HashSet> live);
  // Hunts run and failed since start (read by the status thread).
  std::uint64_t hunts() const { return hunts_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  bool hunting() const { return hunting_.load(std::memory_order_relaxed); }

 private:
  void hunt(const HashSet* before, std::shared_ptr<const HashSet> after);

  catalog::CatalogStore& store_;
  HitSink& hits_;
  ScanOptions options_;
  std::shared_ptr<const HashSet> hunted_;  // the version the catalog has been hunted against
  std::atomic<std::uint64_t> hunts_{0}, failures_{0};
  std::atomic<bool> hunting_{false};
};

}  // namespace dijk::watch
