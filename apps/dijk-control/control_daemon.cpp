#include "apps/dijk-control/control_daemon.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "apps/dijk-control/journal_view.h"
#include "config/admin/server.h"
#include "config/cli/version.h"
#include "control/journal/ack_state.h"
#include "core/unix_time.h"
#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/set/hash_set.h"

namespace dijk::control {
namespace {

using json = nlohmann::json;

void log(const std::string& line) {
  std::cerr << "dijk-control: " << line << std::endl;
}

// The count dijkd reports too: exact hashes and PDQ hashes.
std::uint64_t entries_of(const HashSet& set) {
  return set_entry_count(set);
}

std::shared_ptr<const HashSet> open_set(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return nullptr;
  return HashSet::open(path.string(), SetVerification::structure);
}

// The feed and the reporter as the running config wants them. A config change rebuilds the part whose
}  // namespace

void ControlDaemon::apply(const Config& old_config, const Config& next, bool first) {
  std::lock_guard lock(mutex_);
  config_ = next;
  bool feed_changed = first || old_config.feed != next.feed || old_config.paths != next.paths;
  const bool report_changed = first || old_config.reporting != next.reporting ||
                              old_config.paths != next.paths || old_config.appliance_id != next.appliance_id;
  // The root key file may have been replaced under the same name: a re-pinned root applies on reload,
  // never only after a restart. Unreadable now: rebuilt, so the feed stops and status says why.
  std::optional<sync::SyncConfig> sync_config;
  std::string key_error;
  if (!next.feed.url.empty()) {
    try {
      sync_config = sync_config_of(next);
    } catch (const std::exception& e) {
      key_error = std::string("feed not started: ") + e.what();
    }
  }
  if (!feed_changed && feed_ && (!sync_config || sync_config->roots != feed_->roots())) {
    log("feed.root_key " + next.feed.root_key +
        " no longer holds the key the feed runs with: restarting the feed");
    feed_changed = true;
  }
  if (feed_changed) {
    retire_feed_locked();
    feed_error_ = key_error;
    if (sync_config) {
      try {
        feed_ = std::make_unique<FeedLink>(next, *sync_config);
        ++feed_generation_;
      } catch (const std::exception& e) {
        feed_error_ = std::string("feed not started: ") + e.what();
      }
    }
    if (!feed_error_.empty()) log(feed_error_);
  }
  if (report_changed) {
    report_.reset();
    if (!next.reporting.url.empty()) {
      try {
        report_ = std::make_unique<ReportLink>(next);
        report_error_.clear();
      } catch (const std::exception& e) {
        report_error_ = std::string("reporter not started: ") + e.what();
        log(report_error_);
      }
    }
  }
}

admin::DaemonStatus ControlDaemon::status(std::int64_t started_unix) {
  std::lock_guard lock(mutex_);
  const auto now = unix_now();
  admin::DaemonStatus s;
  s.daemon = "dijk-control";
  s.version = std::string(cli::dijk_version());
  s.pid = getpid();
  s.uptime_s = static_cast<std::uint64_t>(now - started_unix);
  s.appliance_id = config_.appliance_id;
  try {
    if (const auto set = open_set(config_.paths.set)) {
      s.set =
          admin::SetStatus{set->version(), entries_of(*set),
                           static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - set->created_unix())),
                           config_.paths.set};
    }
  } catch (const std::exception&) {
    // A set that does not open is the feed's problem to report; status still answers.
  }
  admin::FeedStatus f;
  if (feed_) {
    const auto st = feed_->status();
    f.healthy = st.last_failure == feed::Failure::none && st.last_success != 0;
    if (st.last_success != 0) f.last_success_age_s = static_cast<std::uint64_t>(now - st.last_success);
    f.installed_version = st.installed_version;
    f.feed_version = std::max(st.feed_version_seen, st.installed_version);
    if (st.feed_expires != 0) f.expires_unix = st.feed_expires;
    if (st.last_failure != feed::Failure::none) {
      f.last_error = std::string(feed::failure_name(st.last_failure)) + ": " + st.last_error;
    } else if (st.last_success == 0) {
      f.last_error = "no sync has completed yet";
    }
  } else {
    f.last_error = feed_error_.empty() ? "no feed configured (feed.url is empty)" : feed_error_;
    f.configured = !config_.feed.url.empty();  // a feed that did not start is configured and unhealthy
  }
  s.feed = f;
  admin::ReporterStatus r;
  if (report_) {
    const auto st = report_->state();
    r.delivered = st.delivered;
    r.last_error = st.last_error;
    try {
      r.backlog = backlog(config_.paths.journal, st.acked_position, kBacklogCap);
    } catch (const std::exception& e) {
      r.last_error = std::string("journal unreadable: ") + e.what();
    }
    if (st.last_delivery_unix != 0)
      r.last_delivery_age_s = static_cast<std::uint64_t>(now - st.last_delivery_unix);
    if (r.backlog > 0 && st.waiting_since_unix != 0 &&
        now - st.waiting_since_unix >= static_cast<std::int64_t>(config_.reporting.alarm_after_s)) {
      r.alarm = std::to_string(r.backlog) + " hits undelivered for " +
                std::to_string(now - st.waiting_since_unix) + " s";
    }
    try {
      if (const auto q = report_->quarantine().size(); q > 0) {
        r.alarm += (r.alarm.empty() ? "" : "; ") + std::to_string(q) + " hit" + (q == 1 ? "" : "s") +
                   " quarantined: refused for good by the inbox (dijkctl hits quarantine list)";
      }
    } catch (const std::exception& e) {
      r.alarm += (r.alarm.empty() ? "" : "; ") + std::string("quarantine unreadable: ") + e.what();
    }
  } else {
    r.last_error = report_error_.empty() ? "no inbox configured (reporting.url is empty)" : report_error_;
  }
  s.reporter = r;
  return s;
}

void ControlDaemon::retire_feed_locked() {
  if (feed_) {
    feed_->stop();
    retired_.push_back(std::move(feed_));
  }
  std::erase_if(retired_, [](const auto& link) { return link->finished(); });
}

json ControlDaemon::sync_now() {
  std::lock_guard lock(mutex_);
  if (!feed_)
    throw admin::AdminError(feed_error_.empty() ? "no feed configured (feed.url is empty)" : feed_error_);
  const auto request = feed_->request_sync();
  return json{
      {"message", request.already_running ? "sync already running; another follows it" : "sync requested"},
      {"already_running", request.already_running},
      {"ticket", request.ticket},
      {"link", feed_generation_}};
}

json ControlDaemon::sync_status() {
  std::lock_guard lock(mutex_);
  if (!feed_)
    throw admin::AdminError(feed_error_.empty() ? "no feed configured (feed.url is empty)" : feed_error_);
  const auto st = feed_->status();
  std::string message;
  if (st.last_failure != feed::Failure::none) {
    std::uint64_t serving = 0;
    try {
      if (const auto set = open_set(config_.paths.set)) serving = set->version();
    } catch (const std::exception&) {
    }
    message = "sync failed (" + std::string(feed::failure_name(st.last_failure)) + "): " + st.last_error +
              (serving != 0 ? "; set version " + std::to_string(serving) + " keeps serving"
                            : "; no set is installed");
  } else if (st.last_method == "up to date") {
    message = "feed synced: set version " + std::to_string(st.installed_version) + " is up to date";
  } else {
    message = "feed synced: version " + std::to_string(st.installed_version) + " installed (" +
              st.last_method + ")";
  }
  if (!st.last_note.empty()) message += "\n" + st.last_note;
  return json{{"link", feed_generation_},
              {"running", feed_->running()},
              {"completed", st.attempts},
              {"ok", st.last_failure == feed::Failure::none},
              {"failure", std::string(feed::failure_name(st.last_failure))},
              {"error", st.last_error},
              {"method", st.last_method},
              {"note", st.last_note},
              {"set_version", st.installed_version},
              {"seconds", st.last_seconds},
              {"message", message}};
}

void ControlDaemon::request_sync() {
  std::lock_guard lock(mutex_);
  if (feed_) feed_->request_sync();
}

json ControlDaemon::set_show() {
  std::lock_guard lock(mutex_);
  const auto set = open_set(config_.paths.set);
  if (!set) throw admin::AdminError("no set installed at " + config_.paths.set);
  json previous = json::array();
  try {
    if (const auto p = open_set(set_dir_of(config_) / "previous.set")) previous.push_back(p->version());
  } catch (const std::exception&) {
  }
  return json{{"version", set->version()},
              {"entries", entries_of(*set)},
              {"created_unix", set->created_unix()},
              {"age_s", std::max<std::int64_t>(0, unix_now() - set->created_unix())},
              {"path", config_.paths.set},
              {"previous", previous}};
}

json ControlDaemon::set_rollback() {
  std::lock_guard lock(mutex_);
  const auto dir = set_dir_of(config_);
  const auto was = open_set(config_.paths.set);
  try {
    sync::rollback_set(dir.string());
  } catch (const std::exception& e) {
    throw admin::AdminError(std::string("rollback refused: ") + e.what());
  }
  const auto now = open_set(config_.paths.set);
  log("rolled back from set version " + std::to_string(was ? was->version() : 0) + " to " +
      std::to_string(now ? now->version() : 0));
  return json{{"version", now ? now->version() : 0}, {"was", was ? was->version() : 0}};
}

json ControlDaemon::hits(const json& args) {
  std::lock_guard lock(mutex_);
  const std::uint64_t acked = report_ ? report_->state().acked_position
                                      : journal::read_ack_position(ack_state_file_of(config_)).value_or(0);
  try {
    return json{{"hits", recent_hits(config_.paths.journal, acked, args.value("since_unix", std::int64_t{0}),
                                     args.value("limit", std::size_t{1000}))}};
  } catch (const std::exception& e) {
    throw admin::AdminError(std::string("journal unreadable: ") + e.what());
  }
}

template <typename F>
auto ControlDaemon::with_quarantine(F use) {
  if (report_) return use(report_->quarantine());
  reporter::QuarantineStore store(quarantine_dir_of(config_));  // no reporter running: the files alone
  return use(store);
}

namespace {
std::optional<std::uint64_t> target_of(const json& args) {
  if (args.value("all", false)) return std::nullopt;
  if (!args.contains("id") || !args["id"].is_number_unsigned()) {
    throw admin::AdminError("name a quarantined hit by its id, or all of them");
  }
  return args["id"].get<std::uint64_t>();
}
}  // namespace

json ControlDaemon::quarantine_list() {
  std::lock_guard lock(mutex_);
  return with_quarantine([](reporter::QuarantineStore& q) {
    json hits = json::array();
    for (const auto& h : q.list()) hits.push_back(reporter::to_json(h));
    return json{{"hits", hits}, {"dir", q.dir().string()}};
  });
}

json ControlDaemon::quarantine_retry(const json& args) {
  const auto target = target_of(args);
  std::lock_guard lock(mutex_);
  if (!report_) throw admin::AdminError("no reporter running to resend them");
  const auto n = report_->quarantine().request_retry(target);
  if (target && n == 0) throw admin::AdminError("no quarantined hit " + std::to_string(*target));
  log("quarantine: " + std::to_string(n) + " hit(s) queued for a resend");
  return json{{"queued", n}};
}

json ControlDaemon::quarantine_drop(const json& args) {
  const auto target = target_of(args);
  const std::string reason = args.value("reason", std::string());
  if (reason.empty())
    throw admin::AdminError("dropping a quarantined hit needs a reason (for the audit log)");
  std::lock_guard lock(mutex_);
  return with_quarantine([&](reporter::QuarantineStore& q) {
    const auto n = q.drop(target, reason, unix_now());
    if (target && n == 0) throw admin::AdminError("no quarantined hit " + std::to_string(*target));
    log("quarantine: dropped " + std::to_string(n) + " hit(s): " + reason);
    return json{{"dropped", n}, {"audit_log", q.audit_log().string()}};
  });
}

void ControlDaemon::collect(std::vector<metrics::Sample>& out) {
  std::lock_guard lock(mutex_);
  const auto counter = [&](std::string name, std::string help, double v, metrics::Labels labels = {}) {
    out.push_back({std::move(name), std::move(help), metrics::Type::kCounter, std::move(labels), v});
  };
  if (feed_) {
    const auto st = feed_->status();
    counter("dijk_feed_syncs_total", "Feed syncs attempted.", static_cast<double>(st.attempts));
    counter("dijk_feed_installs_total", "New set versions installed from the feed.",
            static_cast<double>(st.installs));
    for (std::size_t i = 1; i < feed::kFailureCount; ++i) {
      counter("dijk_feed_failures_total", "Feed syncs refused or failed, by reason.",
              static_cast<double>(st.failures[i]),
              {{"reason", std::string(feed::failure_name(static_cast<feed::Failure>(i)))}});
    }
    out.push_back({"dijk_feed_version_accepted",
                   "Highest feed version accepted.",
                   metrics::Type::kGauge,
                   {},
                   static_cast<double>(st.accepted_version)});
  }
  if (report_) {
    const auto st = report_->state();
    counter("dijk_reporter_batches_total", "Report batches sent to the inbox.",
            static_cast<double>(st.batches));
    counter("dijk_reporter_failures_total", "Report batches that failed and will be resent.",
            static_cast<double>(st.failures));
    counter("dijk_reporter_duplicates_total", "Hits the inbox already had (a resent batch).",
            static_cast<double>(st.duplicates));
    counter("dijk_reporter_refusals_total",
            "Inbox answers that refused the hits sent for good (HTTP 4xx but 408 and 429), whole batches "
            "and the halves and single hits resent to find the refused one alike.",
            static_cast<double>(st.refusals));
    try {
      out.push_back({"dijk_reporter_quarantined_hits",
                     "Hits the inbox refused for good, kept on disk until an admin retries or drops them.",
                     metrics::Type::kGauge,
                     {},
                     static_cast<double>(report_->quarantine().size())});
    } catch (const std::exception&) {
      // An unreadable directory shows in the status alarm; a missing sample is better than a wrong one.
    }
  }
}

bool ControlDaemon::alive() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return true;  // a sync or rebuild in progress holds it; the sync has time-outs
  return !report_ || report_->alive(std::chrono::seconds(30));
}
}  // namespace dijk::control
