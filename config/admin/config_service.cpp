#include "config/admin/config_service.h"

#include "config/admin/server.h"
#include "config/schema/atomic_file.h"
#include "config/schema/loader.h"
#include "config/schema/render.h"

namespace dijk::admin {

nlohmann::json ConfigChange::to_json() const {
  nlohmann::json j{{"changed", changed}, {"restart_required", restart_required}};
  j["confirm_within_ms"] = confirm_within ? nlohmann::json(confirm_within->count()) : nlohmann::json();
  return j;
}

ConfigService::ConfigService(std::filesystem::path file, Config initial, ApplyFn apply, LogFn log)
    : file_(std::move(file)),
      apply_(std::move(apply)),
      log_(std::move(log)),
      current_(initial),
      file_config_(std::move(initial)) {
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
  return restart_required(current_, file_config_);
}

std::optional<std::chrono::milliseconds> ConfigService::pending() const {
  std::lock_guard lock(mutex_);
  if (!pending_) return std::nullopt;
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()));
}

ConfigChange ConfigService::apply_locked(const Config& next,
                                         std::optional<std::chrono::milliseconds> confirm_within) {
  ConfigChange change{changed_keys(file_config_, next), restart_required(file_config_, next), confirm_within};
  const Config live = live_applicable(current_, next);
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
  deadline_ = Clock::now() + within;
  wake_.notify_all();
}

ConfigChange ConfigService::reload(std::optional<std::chrono::milliseconds> confirm_within) {
  const auto loaded = load_config_file(file_);
  if (!loaded.ok()) {
    if (log_) log_("config: reload refused, keeping the running config:\n" + loaded.error_text());
    throw AdminError("the config file has errors; still running the previous config\n" + loaded.error_text());
  }
  std::lock_guard lock(mutex_);
  if (confirm_within && !pending_) arm_revert_locked("reload", std::nullopt, *confirm_within);
  return apply_locked(loaded.config, confirm_within);
}

ConfigChange ConfigService::set(const std::string& key, const std::string& value,
                                std::optional<std::chrono::milliseconds> confirm_within) {
  std::lock_guard lock(mutex_);
  if (pending_) {
    throw AdminError("a change to '" + pending_key_ +
                     "' is waiting for `dijkctl config confirm`; confirm it or let it revert first");
  }
  const auto before = read_whole_file(file_);
  if (!before) throw AdminError("cannot read " + file_.string());
  const auto edit = set_key_in_text(*before, key, value);
  if (!edit.error.empty()) throw AdminError(edit.error);
  const auto loaded = load_config_text(edit.text, file_.string());
  if (!loaded.ok()) {
    throw AdminError("refused, " + file_.string() + " is unchanged: '" + key + " = " + value +
                     "' would make it invalid\n" + loaded.error_text());
  }
  if (const auto err = write_file_atomically(file_, edit.text))
    throw AdminError("cannot write the config: " + *err);
  if (confirm_within) arm_revert_locked(key, *before, *confirm_within);
  return apply_locked(loaded.config, confirm_within);
}

void ConfigService::confirm() {
  std::lock_guard lock(mutex_);
  if (!pending_) throw AdminError("no config change is waiting for confirmation");
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
      const std::string old_bytes = std::move(*backup_bytes_);
      backup_bytes_.reset();
      if (const auto err = write_file_atomically(file_, old_bytes)) {
        if (log_) log_("config: could not revert the unconfirmed change to '" + key + "': " + *err);
        continue;
      }
    }
    const Config previous = backup_config_;
    apply_locked(previous, std::nullopt);
    if (log_) log_("config: the change to '" + key + "' was not confirmed in time and has been reverted");
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
    std::optional<std::chrono::milliseconds> within;
    if (args.contains("confirm_within_ms") && args["confirm_within_ms"].is_number_unsigned()) {
      within = std::chrono::milliseconds(args["confirm_within_ms"].get<std::uint64_t>());
    }
    return reload(within).to_json();
  });
  server.handle("config.set", [this](const nlohmann::json& args) {
    if (!args.contains("key") || !args["key"].is_string() || !args.contains("value") ||
        !args["value"].is_string()) {
      throw AdminError("config.set needs string arguments \"key\" and \"value\"");
    }
    std::optional<std::chrono::milliseconds> within;
    if (args.contains("confirm_within_ms") && !args["confirm_within_ms"].is_null()) {
      if (!args["confirm_within_ms"].is_number_unsigned())
        throw AdminError("confirm_within_ms must be a number");
      within = std::chrono::milliseconds(args["confirm_within_ms"].get<std::uint64_t>());
    }
    return set(args["key"].get<std::string>(), args["value"].get<std::string>(), within).to_json();
  });
  server.handle("config.confirm", [this](const nlohmann::json&) {
    confirm();
    return nlohmann::json{{"confirmed", true}};
  });
}

}  // namespace dijk::admin
