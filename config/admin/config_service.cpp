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
    : file_(std::move(file)), apply_(std::move(apply)), log_(std::move(log)), current_(std::move(initial)) {
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

std::optional<std::chrono::milliseconds> ConfigService::pending() const {
  std::lock_guard lock(mutex_);
  if (!backup_) return std::nullopt;
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()));
}

ConfigChange ConfigService::apply_locked(const Config& next, std::optional<std::chrono::milliseconds> confirm_within) {
  ConfigChange change{changed_keys(current_, next), restart_required(current_, next), confirm_within};
  if (apply_) apply_(current_, next);
  current_ = next;
  return change;
}

ConfigChange ConfigService::reload() {
  const auto loaded = load_config_file(file_);
  if (!loaded.ok()) {
    if (log_) log_("config: reload refused, keeping the running config:\n" + loaded.error_text());
    throw AdminError("the config file has errors; still running the previous config\n" + loaded.error_text());
  }
  std::lock_guard lock(mutex_);
  return apply_locked(loaded.config, std::nullopt);
}

ConfigChange ConfigService::set(const std::string& key, const std::string& value,
                                std::optional<std::chrono::milliseconds> confirm_within) {
  std::lock_guard lock(mutex_);
  if (backup_) {
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
  if (const auto err = write_file_atomically(file_, edit.text)) throw AdminError("cannot write the config: " + *err);
  auto change = apply_locked(loaded.config, confirm_within);
  if (confirm_within) {
    backup_ = *before;
    pending_key_ = key;
    deadline_ = Clock::now() + *confirm_within;
    wake_.notify_all();
  }
  return change;
}

void ConfigService::confirm() {
  std::lock_guard lock(mutex_);
  if (!backup_) throw AdminError("no config change is waiting for confirmation");
  backup_.reset();
  pending_key_.clear();
  wake_.notify_all();
}

void ConfigService::revert_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!backup_) {
      wake_.wait(lock);
      continue;
    }
    if (wake_.wait_until(lock, deadline_) != std::cv_status::timeout || !backup_) continue;
    if (Clock::now() < deadline_) continue;
    // Not confirmed in time: put the old bytes back and run on them again.
    const std::string old_bytes = std::move(*backup_);
    const std::string key = std::move(pending_key_);
    backup_.reset();
    pending_key_.clear();
    if (const auto err = write_file_atomically(file_, old_bytes)) {
      if (log_) log_("config: could not revert the unconfirmed change to '" + key + "': " + *err);
      continue;
    }
    const auto loaded = load_config_text(old_bytes, file_.string());
    if (loaded.ok()) apply_locked(loaded.config, std::nullopt);
    if (log_) log_("config: the change to '" + key + "' was not confirmed in time and has been reverted");
  }
}

void ConfigService::register_verbs(AdminServer& server) {
  server.handle("config.show", [this](const nlohmann::json&) {
    const auto left = pending();
    return nlohmann::json{{"path", file_.string()},
                          {"toml", render_toml(current())},
                          {"pending_confirm_ms", left ? nlohmann::json(left->count()) : nlohmann::json()}};
  });
  server.handle("config.reload", [this](const nlohmann::json&) { return reload().to_json(); });
  server.handle("config.set", [this](const nlohmann::json& args) {
    if (!args.contains("key") || !args["key"].is_string() || !args.contains("value") || !args["value"].is_string()) {
      throw AdminError("config.set needs string arguments \"key\" and \"value\"");
    }
    std::optional<std::chrono::milliseconds> within;
    if (args.contains("confirm_within_ms") && !args["confirm_within_ms"].is_null()) {
      if (!args["confirm_within_ms"].is_number_unsigned()) throw AdminError("confirm_within_ms must be a number");
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
