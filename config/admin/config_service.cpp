#include "config/admin/config_service.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <system_error>

#include "config/admin/server.h"
#include "config/schema/loader.h"
#include "config/schema/render.h"
#include "config/schema/whole_file.h"
#include "core/durable_file.h"

namespace dijk::admin {

namespace {

// The file's bytes (when readable and not oversized) and what they load to.
struct FileRead {
  std::optional<std::string> bytes;
  LoadResult loaded;
};

FileRead read_config(const std::filesystem::path& file) {
  FileRead r;
  r.bytes = read_whole_file(file);
  if (r.bytes && r.bytes->size() <= kMaxConfigBytes) {
    r.loaded = load_config_text(*r.bytes, file.string());
  } else {
    r.bytes.reset();
    r.loaded = load_config_file(file);  // says why: unreadable or too large
  }
  return r;
}

// Replaces the config file durably, keeping its mode (an operator may have narrowed it). The error's text on
// failure: callers report it and keep running on the old config.
std::optional<std::string> replace_config_file(const std::filesystem::path& file, std::string_view text) {
  try {
    write_file_durably(file, text, existing_mode_or(file, 0644));
  } catch (const std::system_error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// "60 s", "1.5 s".
std::string seconds_text(std::chrono::milliseconds ms) {
  const auto n = ms.count();
  std::string s = std::to_string(n / 1000);
  if (n % 1000 != 0) {
    std::string frac = std::to_string(1000 + n % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s + " s";
}

std::string by_suffix(const std::string& by) {
  return by.empty() ? std::string() : " (by " + by + ")";
}

// Who sent an admin request: the tool it names, and the uid the server read from the socket.
std::string requester(const nlohmann::json& args) {
  std::string by =
      args.contains("by") && args["by"].is_string() ? args["by"].get<std::string>() : "admin socket";
  if (by.size() > 64) by.resize(64);
  if (args.contains("peer_uid") && args["peer_uid"].is_number_unsigned())
    by += ", uid " + std::to_string(args["peer_uid"].get<std::uint64_t>());
  return by;
}

std::optional<std::chrono::milliseconds> window_of(const nlohmann::json& args) {
  if (!args.contains("confirm_within_ms") || args["confirm_within_ms"].is_null()) return std::nullopt;
  if (!args["confirm_within_ms"].is_number_unsigned()) throw AdminError("confirm_within_ms must be a number");
  return std::chrono::milliseconds(args["confirm_within_ms"].get<std::uint64_t>());
}

}  // namespace

nlohmann::json ConfigChange::to_json() const {
  nlohmann::json j{{"changed", changed}, {"restart_required", restart_required}};
  if (!daemon.empty()) j["daemon"] = daemon;
  j["confirm_within_ms"] = confirm_within ? nlohmann::json(confirm_within->count()) : nlohmann::json();
  return j;
}

ConfigService::ConfigService(std::filesystem::path file, Config initial, ApplyFn apply, LogFn log,
                             RestartKeys restart_keys, std::string daemon)
    : file_(std::move(file)),
      apply_(std::move(apply)),
      log_(std::move(log)),
      restart_keys_(std::move(restart_keys)),
      daemon_(std::move(daemon)),
      current_(initial),
      file_config_(std::move(initial)),
      applied_bytes_(read_whole_file(file_)) {
  reverter_ = std::thread([this] { revert_loop(); });
}

ConfigService::~ConfigService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  reverter_.join();
}

Config ConfigService::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::vector<std::string> ConfigService::restart_pending() const {
  std::lock_guard lock(mutex_);
  return restart_required(current_, file_config_, restart_keys_);
}

std::optional<std::chrono::milliseconds> ConfigService::pending() const {
  std::lock_guard lock(mutex_);
  if (!pending_) return std::nullopt;
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()));
}

ConfigStatus ConfigService::status() const {
  // Read outside the lock: a slow disk must not hold up a config change.
  const FileRead on_disk = read_config(file_);
  ConfigStatus s;
  std::lock_guard lock(mutex_);
  if (pending_) {
    s.pending_confirm_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count()));
    s.pending_change = pending_key_;
  }
  s.restart_pending = restart_required(current_, file_config_, restart_keys_);
  if (on_disk.loaded.ok()) {
    s.file_differs = changed_keys(file_config_, on_disk.loaded.config);
  } else {
    s.file_error = on_disk.loaded.errors.front().to_string();
    if (on_disk.loaded.errors.size() > 1)
      s.file_error += " (and " + std::to_string(on_disk.loaded.errors.size() - 1) + " more)";
  }
  return s;
}

void ConfigService::log_changes(const std::string& what, const Config& old_config, const Config& new_config,
                                const std::string& by) const {
  if (!log_) return;
  std::map<std::string, std::string> before;
  for (auto& [k, v] : flatten(old_config)) before.emplace(std::move(k), std::move(v));
  std::map<std::string, std::string> after;
  for (auto& [k, v] : flatten(new_config)) after.emplace(std::move(k), std::move(v));
  for (const auto& key : changed_keys(old_config, new_config)) {
    const auto b = before.find(key);
    const auto a = after.find(key);
    log_("config: " + what + " " + key + " " + (b != before.end() ? b->second : "?") + " -> " +
         (a != after.end() ? a->second : "?") + by_suffix(by));
  }
}

ConfigChange ConfigService::apply_locked(const Config& next,
                                         std::optional<std::chrono::milliseconds> confirm_within) {
  ConfigChange change{changed_keys(file_config_, next), restart_required(file_config_, next, restart_keys_),
                      confirm_within, daemon_};
  const Config live = live_applicable(current_, next, restart_keys_);
  if (apply_) apply_(current_, live);
  current_ = live;
  file_config_ = next;
  return change;
}

void ConfigService::arm_revert_locked(std::string key, std::optional<std::string> file_bytes,
                                      std::chrono::milliseconds within) {
  pending_ = true;
  backup_config_ = file_config_;
  backup_bytes_ = std::move(file_bytes);
  pending_key_ = std::move(key);
  pending_window_ = within;
  deadline_ = Clock::now() + within;
  wake_.notify_all();
}

ConfigChange ConfigService::reload(std::optional<std::chrono::milliseconds> confirm_within,
                                   const std::string& by) {
  const FileRead read = read_config(file_);
  if (!read.loaded.ok()) {
    log("config: reload refused, keeping the running config" + by_suffix(by) + ":\n" +
        read.loaded.error_text());
    throw AdminError("the config file has errors; still running the previous config\n" +
                     read.loaded.error_text());
  }
  std::lock_guard lock(mutex_);
  const auto keys = changed_keys(file_config_, read.loaded.config);
  if (confirm_within && !pending_) {
    // A follower of a `config set --confirm-within`: the revert names the keys the change touched.
    arm_revert_locked(keys.empty() ? "(nothing changed)" : joined(keys), std::nullopt, *confirm_within);
  }
  if (!keys.empty()) {
    undo_bytes_ = applied_bytes_;
    applied_bytes_ = read.bytes;
  }
  log_changes("reload:", file_config_, read.loaded.config, by);
  return apply_locked(read.loaded.config, confirm_within);
}

ConfigChange ConfigService::set(const std::vector<Setting>& settings,
                                std::optional<std::chrono::milliseconds> confirm_within,
                                const std::string& by) {
  if (settings.empty()) throw AdminError("config.set needs at least one key and value");
  std::lock_guard lock(mutex_);
  if (pending_) {
    throw AdminError("a change to '" + pending_key_ +
                     "' is waiting for `dijkctl config confirm`; confirm it or let it revert first");
  }
  const auto before = read_whole_file(file_);
  if (!before) throw AdminError("cannot read " + file_.string());
  std::string text = *before;
  std::set<std::string> seen;
  std::vector<std::string> keys;
  std::string asked;
  for (const auto& s : settings) {
    if (!seen.insert(s.key).second) throw AdminError("'" + s.key + "' is given twice");
    const auto edit = set_key_in_text(text, s.key, s.value);
    if (!edit.error.empty()) throw AdminError(edit.error);
    text = edit.text;
    keys.push_back(s.key);
    asked += (asked.empty() ? "'" : ", '") + s.key + " = " + s.value + "'";
  }
  const auto loaded = load_config_text(text, file_.string());
  if (!loaded.ok()) {
    throw AdminError("refused, " + file_.string() + " is unchanged: " + asked + " would make it invalid\n" +
                     loaded.error_text());
  }
  if (const auto err = replace_config_file(file_, text)) throw AdminError("cannot write the config: " + *err);
  if (confirm_within) arm_revert_locked(joined(keys), *before, *confirm_within);
  undo_bytes_ = *before;
  applied_bytes_ = text;
  log_changes("set", file_config_, loaded.config, by);
  if (confirm_within) {
    log("config: " + joined(keys) + " must be confirmed within " + seconds_text(*confirm_within) +
        " or it is reverted");
  }
  return apply_locked(loaded.config, confirm_within);
}

ConfigChange ConfigService::undo(const std::string& by) {
  std::lock_guard lock(mutex_);
  if (!undo_bytes_)
    throw AdminError("nothing to undo: no config change since the daemon started or the last undo");
  const auto loaded = load_config_text(*undo_bytes_, file_.string());
  if (!loaded.ok()) {
    throw AdminError("cannot undo: the previous config no longer validates\n" + loaded.error_text());
  }
  if (const auto err = replace_config_file(file_, *undo_bytes_)) {
    throw AdminError("cannot write the config: " + *err);
  }
  if (pending_) clear_pending_locked();
  applied_bytes_ = std::move(undo_bytes_);
  undo_bytes_.reset();
  log_changes("undo:", file_config_, loaded.config, by);
  return apply_locked(loaded.config, std::nullopt);
}

void ConfigService::confirm(const std::string& by) {
  std::lock_guard lock(mutex_);
  if (!pending_) throw AdminError("no config change is waiting for confirmation");
  log("config: confirmed " + pending_key_ + by_suffix(by));
  clear_pending_locked();
}

void ConfigService::cancel_pending() {
  std::lock_guard lock(mutex_);
  clear_pending_locked();
}

void ConfigService::clear_pending_locked() {
  pending_ = false;
  backup_bytes_.reset();
  pending_key_.clear();
  wake_.notify_all();
}

void ConfigService::revert_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!pending_) {
      wake_.wait(lock);
      continue;
    }
    if (wake_.wait_until(lock, deadline_) != std::cv_status::timeout || !pending_) continue;
    if (Clock::now() < deadline_) continue;
    // Not confirmed in time: put the old bytes back (if this service wrote the file) and run on the old
    // config again.
    pending_ = false;
    const std::string key = std::move(pending_key_);
    pending_key_.clear();
    if (backup_bytes_) {
      std::string old_bytes = std::move(*backup_bytes_);
      backup_bytes_.reset();
      if (const auto err = replace_config_file(file_, old_bytes)) {
        log("config: auto-revert of " + key + " failed, the change stays: " + *err);
        continue;
      }
      applied_bytes_ = std::move(old_bytes);
    }
    undo_bytes_.reset();
    log("config: auto-revert of " + key + " (not confirmed within " + seconds_text(pending_window_) + ")");
    const Config previous = backup_config_;
    log_changes("revert:", file_config_, previous, "");
    apply_locked(previous, std::nullopt);
  }
}

void ConfigService::register_verbs(AdminServer& server) {
  server.handle("config.show", [this](const nlohmann::json&) {
    const auto left = pending();
    return nlohmann::json{{"path", file_.string()},
                          {"toml", render_toml(current())},
                          {"pending_confirm_ms", left ? nlohmann::json(left->count()) : nlohmann::json()},
                          {"restart_pending", restart_pending()}};
  });
  server.handle("config.reload", [this](const nlohmann::json& args) {
    // A follower of an undo: the leader dropped its pending change, so this one goes too.
    if (args.value("undo", false)) cancel_pending();
    return reload(window_of(args), requester(args)).to_json();
  });
  server.handle("config.set", [this](const nlohmann::json& args) {
    std::vector<Setting> settings;
    if (args.contains("settings")) {
      if (!args["settings"].is_array()) throw AdminError("config.set: \"settings\" must be an array");
      for (const auto& s : args["settings"]) {
        if (!s.is_object() || !s.contains("key") || !s["key"].is_string() || !s.contains("value") ||
            !s["value"].is_string()) {
          throw AdminError("config.set: each setting needs string \"key\" and \"value\"");
        }
        settings.push_back({s["key"].get<std::string>(), s["value"].get<std::string>()});
      }
    } else {
      if (!args.contains("key") || !args["key"].is_string() || !args.contains("value") ||
          !args["value"].is_string()) {
        throw AdminError("config.set needs string arguments \"key\" and \"value\"");
      }
      settings.push_back({args["key"].get<std::string>(), args["value"].get<std::string>()});
    }
    return set(settings, window_of(args), requester(args)).to_json();
  });
  server.handle("config.undo",
                [this](const nlohmann::json& args) { return undo(requester(args)).to_json(); });
  server.handle("config.confirm", [this](const nlohmann::json& args) {
    confirm(requester(args));
    return nlohmann::json{{"confirmed", true}};
  });
}

}  // namespace dijk::admin
