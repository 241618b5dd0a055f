#pragma once
// The feed half of dijk-control: a Syncer built from the [feed] section and the thread that runs it on the
// configured interval. `sync now` only wakes that thread: callers (the admin socket) never wait on the
// network or on a sync; they read the outcome from status() when it is done.
#include <atomic>
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
  FeedLink(const Config& config, sync::SyncConfig sync_config);  // with the key already loaded
  ~FeedLink();
  FeedLink(const FeedLink&) = delete;
  FeedLink& operator=(const FeedLink&) = delete;

  // A sync on the feed's thread, soon (unless one is running); returns at once.
  sync::SyncRequest request_sync() { return syncer_.request_sync(); }
  // A merge of the installed overlay on the feed's merger thread, soon; returns at once.
  sync::SyncRequest request_merge() { return syncer_.request_merge(); }
  sync::SyncStatus status() const { return syncer_.status(); }
  bool running() const { return syncer_.running(); }
  const FeedConfig& config() const { return feed_; }
  // The root keys the link verifies with (read from feed.root_key when it was built).
  const std::vector<feed::PublicKey>& roots() const { return roots_; }

  // Stops the thread and cancels a fetch in progress without waiting for either; the destructor waits.
  void stop() { syncer_.stop(); }
  // The thread has returned: destroying the link does not wait.
  bool finished() const { return finished_; }

 private:
  void log_sync(std::uint64_t installed_before, const sync::SyncStatus& st) const;
  FeedConfig feed_;
  std::vector<feed::PublicKey> roots_;
  sync::Syncer syncer_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace dijk::control
