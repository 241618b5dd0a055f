#pragma once
// The feed half of dijk-control: a Syncer built from the [feed] section and the thread that runs it on the
// configured interval. `sync now` runs one sync on the caller's thread (syncs are serialised by the Syncer)
// so the caller gets its outcome.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "config/schema/config.h"
#include "control/sync/syncer.h"

namespace dijk::control {

// The set directory: where paths.set lives. The feed installs current.set there and keeps previous.set.
std::filesystem::path set_dir_of(const Config& config);

// sync::SyncConfig and HttpsOptions from the TOML config. Throws if the root key cannot be read.
sync::SyncConfig sync_config_of(const Config& config);
sync::HttpsOptions https_options_of(const Config& config);

class FeedLink {
 public:
  // Loads the pinned root key and starts the sync thread (a first sync at once). Throws on a bad key.
  explicit FeedLink(const Config& config);
  ~FeedLink();
  FeedLink(const FeedLink&) = delete;
  FeedLink& operator=(const FeedLink&) = delete;

  sync::SyncStatus sync_now() { return syncer_.sync_once(); }
  void request_sync() { syncer_.request_sync(); }  // on the sync thread, soon; returns at once
  sync::SyncStatus status() const { return syncer_.status(); }
  const FeedConfig& config() const { return feed_; }

 private:
  FeedConfig feed_;
  sync::Syncer syncer_;
  std::thread thread_;
};

}  // namespace dijk::control
