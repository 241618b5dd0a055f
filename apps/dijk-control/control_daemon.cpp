#include "apps/dijk-control/control_daemon.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include "apps/dijk-control/heartbeat.h"
#include "apps/dijk-control/journal_view.h"
#include "config/admin/server.h"
#include "config/cli/version.h"
#include "control/journal/ack_state.h"
#include "control/reporter/report_format.h"
#include "core/log_line.h"
#include "core/unix_time.h"
#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/set/hash_set.h"

namespace dijk::control {
namespace {

using json = nlohmann::json;

void log(const std::string& line) {
  log_line("dijk-control", line);
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
    reports_.clear();
    report_error_.clear();
    for (auto& journal : journals_to_report(next)) {
      Reported r{std::move(journal), nullptr};
      if (!next.reporting.url.empty()) {
        try {
          // The first journal reported ("wire") carries the appliance's heartbeat.
          ReportLink::Heartbeat beat;
          if (reports_.empty()) beat = [this] { return heartbeat(); };
          r.link = std::make_unique<ReportLink>(next, r.journal, std::move(beat));
        } catch (const std::exception& e) {
          // One journal's reporter failing to start leaves the others running; status names it.
          const std::string why = std::string("reporter not started: ") + e.what();
          report_error_ = r.journal.name == kWireJournal ? why : r.journal.name + ": " + why;
          log(report_error_);
        }
      }
      reports_.push_back(std::move(r));
    }
  }
}

admin::DaemonStatus ControlDaemon::status(std::int64_t started_unix) {
  std::lock_guard lock(mutex_);
  return status_locked(started_unix);
}

std::optional<nlohmann::json> ControlDaemon::heartbeat() {
  admin::DaemonStatus s;
  std::string dijkd_socket;
  {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return std::nullopt;
    s = status_locked(unix_now());
    dijkd_socket = config_.admin.socket;
  }
  // dijkd is asked outside the lock: it may take its time-out to answer, or not answer at all.
  return heartbeat_of(s, ask_dijkd(dijkd_socket), unix_now());
}

admin::DaemonStatus ControlDaemon::status_locked(std::int64_t started_unix) {
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
    f.base_version = st.base_version;
    f.overlay_entries = st.overlay_entries;
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
  // One status over every journal: counts add up, and a journal other than "wire" names itself in the
  // error and alarm it contributes.
  admin::ReporterStatus r;
  bool any_link = false;
  const auto append = [](std::string& to, const std::string& what) { to += (to.empty() ? "" : "; ") + what; };
  for (auto& rep : reports_) {
    if (!rep.link) continue;
    any_link = true;
    const std::string who = rep.journal.name == kWireJournal ? "" : "journal " + rep.journal.name + ": ";
    const auto st = rep.link->state();
    r.delivered += st.delivered;
    if (r.last_error.empty() && !st.last_error.empty()) r.last_error = who + st.last_error;
    std::uint64_t waiting = 0;
    try {
      waiting = backlog(rep.journal.dir, st.acked_position, kBacklogCap);
    } catch (const std::exception& e) {
      r.last_error = who + "journal unreadable: " + e.what();
    }
    r.backlog += waiting;
    if (st.last_delivery_unix != 0) {
      const auto age = static_cast<std::uint64_t>(now - st.last_delivery_unix);
      if (!r.last_delivery_age_s || age < *r.last_delivery_age_s) r.last_delivery_age_s = age;
    }
    if (waiting > 0 && st.waiting_since_unix != 0 &&
        now - st.waiting_since_unix >= static_cast<std::int64_t>(config_.reporting.alarm_after_s)) {
      append(r.alarm, who + std::to_string(waiting) + " hits undelivered for " +
                          std::to_string(now - st.waiting_since_unix) + " s");
    }
    try {
      if (const auto q = rep.link->quarantine().size(); q > 0) {
        append(r.alarm, who + std::to_string(q) + " hit" + (q == 1 ? "" : "s") +
                            " quarantined: refused for good by the inbox (dijkctl hits quarantine list)");
      }
    } catch (const std::exception& e) {
      append(r.alarm, who + "quarantine unreadable: " + e.what());
    }
  }
  if (!any_link) {
    r.last_error = report_error_.empty() ? "no inbox configured (reporting.url is empty)" : report_error_;
  } else if (r.last_error.empty()) {
    r.last_error = report_error_;
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
              {"message", message},
              {"base_version", st.base_version},
              {"overlay_entries", st.overlay_entries},
              {"merges", st.merges},
              {"merge_runs", st.merge_runs},
              {"last_merge", st.last_merge},
              {"last_merge_seconds", st.last_merge_seconds}};
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

json ControlDaemon::set_merge() {
  std::lock_guard lock(mutex_);
  if (!feed_)
    throw admin::AdminError(feed_error_.empty()
                                ? "no feed configured (feed.url is empty): merges run on the feed's thread"
                                : feed_error_);
  const auto set = open_set(config_.paths.set);
  if (!set) throw admin::AdminError("no set installed at " + config_.paths.set);
  if (!set->layered())
    return json{
        {"message", "nothing to merge: set version " + std::to_string(set->version()) + " has no overlay"},
        {"requested", false},
        {"link", feed_generation_}};
  const auto request = feed_->request_merge();
  return json{
      {"message", "merge of " + std::to_string(set->overlay_entries()) +
                      " overlay entries over base version " + std::to_string(set->base_file().version()) +
                      " requested" + (request.already_running ? " (after the merge running now)" : "")},
      {"requested", true},
      {"already_running", request.already_running},
      {"ticket", request.ticket},
      {"link", feed_generation_}};
}

json ControlDaemon::hits(const json& args) {
  std::lock_guard lock(mutex_);
  const auto since = args.value("since_unix", std::int64_t{0});
  const auto limit = args.value("limit", std::size_t{1000});
  json all = json::array();
  for (const auto& rep : reports_) {
    const std::uint64_t acked = rep.link ? rep.link->state().acked_position
                                         : journal::read_ack_position(rep.journal.ack_state).value_or(0);
    try {
      for (auto& h : recent_hits(rep.journal.dir, rep.journal.name, acked, since, limit))
        all.push_back(std::move(h));
    } catch (const std::exception& e) {
      throw admin::AdminError("journal " + rep.journal.name + " unreadable: " + e.what());
    }
  }
  // Oldest first over all journals, the newest `limit` of them.
  std::stable_sort(all.begin(), all.end(), [](const json& a, const json& b) {
    return a.value("time_ns", std::uint64_t{0}) < b.value("time_ns", std::uint64_t{0});
  });
  if (all.size() > limit)
    all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(all.size() - limit));
  return json{{"hits", all}};
}

ControlDaemon::Reported& ControlDaemon::reported_locked(const std::string& journal) {
  for (auto& r : reports_) {
    if (r.journal.name == journal) return r;
  }
  throw admin::AdminError("no journal '" + journal + "' is reported");
}

template <typename F>
auto ControlDaemon::with_quarantine(Reported& r, F use) {
  if (r.link) return use(r.link->quarantine());
  reporter::QuarantineStore store(r.journal.quarantine_dir);  // no reporter running: the files alone
  return use(store);
}

namespace {
// Which quarantined hit an admin names: {"all": true}, or {"id": POS} with an optional {"journal": NAME}
// ("wire" when absent), which dijkctl sends for the id NAME:POS.
struct Target {
  std::optional<std::string> journal;  // nullopt: every journal
  std::optional<std::uint64_t> id;     // nullopt: every hit
};

Target target_of(const json& args) {
  if (args.value("all", false)) return {};
  if (!args.contains("id") || !args["id"].is_number_unsigned()) {
    throw admin::AdminError("name a quarantined hit by its id, or all of them");
  }
  std::string journal(kWireJournal);
  if (args.contains("journal")) {
    if (!args["journal"].is_string()) throw admin::AdminError("a journal is named by a string");
    journal = args["journal"].get<std::string>();
  }
  return {journal, args["id"].get<std::uint64_t>()};
}
}  // namespace

json ControlDaemon::quarantine_list() {
  std::lock_guard lock(mutex_);
  json hits = json::array();
  std::string wire_dir;
  for (auto& rep : reports_) {
    with_quarantine(rep, [&](reporter::QuarantineStore& q) {
      if (rep.journal.name == kWireJournal) wire_dir = q.dir().string();
      for (const auto& h : q.list()) {
        auto j = reporter::to_json(h);
        if (rep.journal.name != kWireJournal) {
          j["journal"] = rep.journal.name;
          j["id"] = reporter::hit_id(rep.journal.name, h.id);
        }
        hits.push_back(std::move(j));
      }
      return 0;
    });
  }
  return json{{"hits", hits}, {"dir", wire_dir}};
}

json ControlDaemon::quarantine_retry(const json& args) {
  const auto target = target_of(args);
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  bool any_link = false;
  for (auto& rep : reports_) {
    if (target.journal && rep.journal.name != *target.journal) continue;
    if (!rep.link) continue;
    any_link = true;
    n += rep.link->quarantine().request_retry(target.id);
  }
  if (target.journal) reported_locked(*target.journal);  // a journal not reported is named as such
  if (!any_link) throw admin::AdminError("no reporter running to resend them");
  if (target.id && n == 0)
    throw admin::AdminError("no quarantined hit " + reporter::hit_id(*target.journal, *target.id));
  log("quarantine: " + std::to_string(n) + " hit(s) queued for a resend");
  return json{{"queued", n}};
}

json ControlDaemon::quarantine_drop(const json& args) {
  const auto target = target_of(args);
  const std::string reason = args.value("reason", std::string());
  if (reason.empty())
    throw admin::AdminError("dropping a quarantined hit needs a reason (for the audit log)");
  std::lock_guard lock(mutex_);
  if (target.journal) reported_locked(*target.journal);
  std::size_t n = 0;
  std::string audit_log;
  for (auto& rep : reports_) {
    if (target.journal && rep.journal.name != *target.journal) continue;
    with_quarantine(rep, [&](reporter::QuarantineStore& q) {
      n += q.drop(target.id, reason, unix_now());
      if (audit_log.empty() || rep.journal.name == kWireJournal) audit_log = q.audit_log().string();
      return 0;
    });
  }
  if (target.id && n == 0)
    throw admin::AdminError("no quarantined hit " + reporter::hit_id(*target.journal, *target.id));
  log("quarantine: dropped " + std::to_string(n) + " hit(s): " + reason);
  return json{{"dropped", n}, {"audit_log", audit_log}};
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
  for (auto& rep : reports_) {
    if (!rep.link) continue;
    const auto st = rep.link->state();
    const metrics::Labels journal{{"journal", rep.journal.name}};
    counter("dijk_reporter_batches_total", "Report batches sent to the inbox.",
            static_cast<double>(st.batches), journal);
    counter("dijk_reporter_failures_total", "Report batches that failed and will be resent.",
            static_cast<double>(st.failures), journal);
    counter("dijk_reporter_duplicates_total", "Hits the inbox already had (a resent batch).",
            static_cast<double>(st.duplicates), journal);
    counter("dijk_reporter_refusals_total",
            "Inbox answers that refused the hits sent for good (HTTP 4xx but 408 and 429), whole batches "
            "and the halves and single hits resent to find the refused one alike.",
            static_cast<double>(st.refusals), journal);
    try {
      out.push_back({"dijk_reporter_quarantined_hits",
                     "Hits the inbox refused for good, kept on disk until an admin retries or drops them.",
                     metrics::Type::kGauge, journal, static_cast<double>(rep.link->quarantine().size())});
    } catch (const std::exception&) {
      // An unreadable directory shows in the status alarm; a missing sample is better than a wrong one.
    }
  }
}

bool ControlDaemon::alive() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return true;  // a sync or rebuild in progress holds it; the sync has time-outs
  return std::all_of(reports_.begin(), reports_.end(),
                     [](const Reported& r) { return !r.link || r.link->alive(std::chrono::seconds(30)); });
}
}  // namespace dijk::control
