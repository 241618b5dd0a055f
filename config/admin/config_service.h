// The running config of a daemon and the safe way to change it. Reload re-reads the file (SIGHUP, or the
// `config.reload` verb); `config.set` edits one or more keys in the file at once (a client cert and its key
// go together), validates the whole result, writes it atomically and applies it; with a confirm window the
// change is undone (old bytes written back, reloaded) unless `config.confirm` arrives in time, like birdc's
// `configure timeout`; `config.undo` puts back the file as it was before the last change, like birdc's
// `configure undo`. A file with any error is never applied: the daemon keeps running on the last good
// config. Every change, revert and refusal is logged (the audit trail in the journal), with who asked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/admin/status.h"
#include "config/schema/config.h"
#include "config/schema/render.h"

namespace dijk::admin {

class AdminServer;

struct ConfigChange {
  std::vector<std::string> changed;           // keys whose value changed
  std::vector<std::string> restart_required;  // of those, the ones that wait for a restart
  std::optional<std::chrono::milliseconds> confirm_within;
  std::string daemon;  // who answers ("dijkd"): whose restart restart_required waits for

  nlohmann::json to_json() const;
};

struct Setting {
  std::string key;
  std::string value;  // TOML, or a bare word taken as a string
};

class ConfigService {
 public:
  // Called with the old and new config after every successful change, under the service's lock.
  using ApplyFn = std::function<void(const Config& old_config, const Config& new_config)>;
  // Told about reverts and refused reloads, for the daemon's log.
  using LogFn = std::function<void(const std::string& line)>;

  // `restart_keys`: the keys this daemon reads only at its start; a change to one is saved and reported as
  // waiting for a restart, and current() keeps the running value.
  ConfigService(std::filesystem::path file, Config initial, ApplyFn apply, LogFn log = {},
                RestartKeys restart_keys = all_restart_keys(), std::string daemon = {});
  ~ConfigService();
  ConfigService(const ConfigService&) = delete;
  ConfigService& operator=(const ConfigService&) = delete;

  // Re-reads the file. Throws AdminError (with every file:line:column error) if it does not validate.
  // With a confirm window (a second daemon following a `config set` made through the first), the previous
  // config comes back unless confirm() arrives in time.
  // `by` names who asked, for the log ("SIGHUP", "dijkctl, uid 0").
  ConfigChange reload(std::optional<std::chrono::milliseconds> confirm_within = std::nullopt,
                      const std::string& by = "SIGHUP");
  // All settings in one edit, validated together and written once. Throws AdminError if a key is unknown or
  // repeated, a value invalid, a change awaits confirmation, or the write fails; the file is then untouched.
  ConfigChange set(const std::vector<Setting>& settings,
                   std::optional<std::chrono::milliseconds> confirm_within, const std::string& by = "");
  ConfigChange set(const std::string& key, const std::string& value,
                   std::optional<std::chrono::milliseconds> confirm_within) {
    return set(std::vector<Setting>{{key, value}}, confirm_within);
  }
  // Writes back the file as it was before the last change (set, reload or undo) and applies it; a change
  // awaiting confirmation is dropped with it. One step: a second undo has nothing to undo. Throws AdminError
  // if there is nothing to undo or the old file no longer validates.
  ConfigChange undo(const std::string& by = "");
  // Keeps the change awaiting confirmation. Throws AdminError if there is none.
  void confirm(const std::string& by = "");
  // Drops a pending revert without logging a confirmation (a follower whose leader undid the change).
  void cancel_pending();
  // The confirm window, restart-pending keys, and how the file differs from what runs (read now).
  ConfigStatus status() const;

  // The config the daemon runs on: the file's, except restart-only keys keep their value from start.
  Config current() const;
  // Keys whose value in the file differs from the running one until a restart.
  std::vector<std::string> restart_pending() const;
  const std::filesystem::path& file() const { return file_; }
  // Time left before an unconfirmed change is reverted.
  std::optional<std::chrono::milliseconds> pending() const;

  // config.show, config.reload, config.set, config.undo, config.confirm.
  void register_verbs(AdminServer& server);

 private:
  using Clock = std::chrono::steady_clock;
  ConfigChange apply_locked(const Config& next, std::optional<std::chrono::milliseconds> confirm_within);
  // Forgets the change waiting for confirmation (kept as it is) and wakes the revert thread.
  void clear_pending_locked();
  void arm_revert_locked(std::string key, std::optional<std::string> file_bytes,
                         std::chrono::milliseconds within);
  // One log line per changed key: "config: <what> KEY OLD -> NEW (by WHO)".
  void log_changes(const std::string& what, const Config& old_config, const Config& new_config,
                   const std::string& by) const;
  void log(const std::string& line) const {
    if (log_) log_(line);
  }
  void revert_loop();

  std::filesystem::path file_;
  ApplyFn apply_;
  LogFn log_;
  RestartKeys restart_keys_;
  std::string daemon_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Config current_;
  Config file_config_;  // the file's config as last applied (differs from current_ in restart-only keys)
  // The change awaiting confirmation: the config before it, the file's bytes before it (when this service
  // wrote the file), and when they come back.
  bool pending_ = false;
  Config backup_config_;
  std::optional<std::string> backup_bytes_;
  Clock::time_point deadline_{};
  std::string pending_key_;
  std::chrono::milliseconds pending_window_{0};
  // The file's bytes as last applied, and as they were before the last change (what undo writes back).
  std::optional<std::string> applied_bytes_;
  std::optional<std::string> undo_bytes_;
  bool stopping_ = false;
  std::thread reverter_;
};

}  // namespace dijk::admin
