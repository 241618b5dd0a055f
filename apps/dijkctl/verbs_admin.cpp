// dijkctl verbs that ask the running daemons: status, stats, hits, sync now, set show, set rollback.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "apps/dijkctl/admin_link.h"
#include "apps/dijkctl/check_probe.h"
#include "apps/dijkctl/verbs.h"
#include "core/unix_time.h"
#include "hashcore/util/safe_text.h"

namespace dijk::ctl {
namespace {

using nlohmann::json;

std::uint64_t u64(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::uint64_t>() : 0;
}

std::string rate(double v, const char* unit) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(v < 10 ? 1 : 0) << v << " " << unit;
  return out.str();
}

// "1.2 GB/s" with the units given ("B/s" ...), or "1.2 GB" for a count of bytes.
std::string scaled_bytes(double bytes, const char* const (&units)[4]) {
  int u = 0;
  while (bytes >= 1000 && u < 3) {
    bytes /= 1000;
    ++u;
  }
  return rate(bytes, units[u]);
}

std::string byte_rate(double bytes_per_s) {
  static constexpr const char* kUnits[] = {"B/s", "kB/s", "MB/s", "GB/s"};
  return scaled_bytes(bytes_per_s, kUnits);
}

std::string byte_count(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB"};
  return scaled_bytes(static_cast<double>(bytes), kUnits);
}

std::string keys_text(const json& keys) {
  std::string out;
  for (const auto& k : keys)
    out += (out.empty() ? "" : ", ") + (k.is_string() ? k.get<std::string>() : k.dump());
  return out;
}

void print_feed(const json& f) {
  std::cout << "  feed      ";
  if (!f.value("configured", true)) {
    std::cout << "none configured (feed.url is empty: sets are imported by hand)\n";
    return;
  }
  std::cout << (f.value("healthy", false) ? "healthy" : "UNHEALTHY");
  if (u64(f, "installed_version") != 0 || u64(f, "feed_version") != 0) {
    std::cout << ", version " << u64(f, "installed_version") << " (feed at " << u64(f, "feed_version") << ", "
              << u64(f, "lag_versions") << " behind)";
  }
  if (u64(f, "overlay_entries") != 0) {
    std::cout << ", overlay of " << u64(f, "overlay_entries") << " entries over base version "
              << u64(f, "base_version");
  }
  if (f.contains("expires") && f["expires"].is_string())
    std::cout << ", expires " << f["expires"].get<std::string>();
  if (f.contains("last_success_age_s") && f["last_success_age_s"].is_number()) {
    std::cout << ", last sync " << human_duration(u64(f, "last_success_age_s")) << " ago";
  } else {
    std::cout << ", never synced";
  }
  if (!f.value("last_error", "").empty()) std::cout << ", last error: " << f.value("last_error", "");
  std::cout << "\n";
}

void print_config(const json& c) {
  if (c.contains("pending_confirm_ms") && c["pending_confirm_ms"].is_number()) {
    std::cout << "  config    change to " << c.value("pending_change", "?") << " is reverted in "
              << human_duration((u64(c, "pending_confirm_ms") + 999) / 1000)
              << " unless `dijkctl config confirm`\n";
  }
  if (!c.value("file_differs", json::array()).empty()) {
    std::cout << "  config    the file differs from the running config: " << keys_text(c["file_differs"])
              << " (`dijkctl config reload` applies it)\n";
  }
  if (!c.value("restart_pending", json::array()).empty()) {
    std::cout << "  config    restart needed for: " << keys_text(c["restart_pending"]) << "\n";
  }
  if (!c.value("file_error", "").empty())
    std::cout << "  config    file has errors: " << c.value("file_error", "") << "\n";
}

void print_watch(const json& w) {
  std::cout << "  watching  " << u64(w, "trees") << " trees with " << w.value("backend", "?") << "\n";
  std::cout << "  checked   " << u64(w, "files_checked") << " files, " << byte_count(u64(w, "bytes_checked"))
            << ", " << u64(w, "hits") << " hits; " << u64(w, "pending") << " waiting to settle, "
            << u64(w, "overflows") << " queue overflows (since start)\n";
  if (w.contains("checkpoint_age_s") && w["checkpoint_age_s"].is_number())
    std::cout << "  checkpoint advanced " << human_duration(u64(w, "checkpoint_age_s")) << " ago\n";
  if (!w.value("catalog", "").empty())
    std::cout << "  catalog   " << w.value("catalog", "") << ": " << u64(w, "hunts") << " retro-hunts, "
              << u64(w, "retrohunt_hits") << " hits (since start)\n";
}

void print_status(const json& s) {
  std::cout << s.value("daemon", "?") << " " << s.value("version", "") << " (pid " << u64(s, "pid")
            << "), up " << human_duration(u64(s, "uptime_s"));
  if (s.contains("appliance_id")) std::cout << ", appliance " << s.value("appliance_id", "");
  std::cout << "\n";
  if (s.contains("dataplane")) std::cout << "  dataplane " << s.value("dataplane", "") << "\n";
  if (s.contains("set") && s["set"].is_object()) {
    const auto& set = s["set"];
    std::cout << "  set       version " << u64(set, "version") << ", " << u64(set, "entries") << " entries, "
              << human_duration(u64(set, "age_s")) << " old\n";
    if (!s.value("set_error", "").empty())
      std::cout << "  set       new file refused (the one above serves): " << s.value("set_error", "")
                << "\n";
  } else {
    std::cout << "  set       NONE: nothing matches";
    if (!s.value("set_error", "").empty()) std::cout << " (" << s.value("set_error", "") << ")";
    std::cout << "\n";
  }
  if (s.contains("feed")) print_feed(s["feed"]);
  if (s.contains("reporter")) {
    const auto& r = s["reporter"];
    std::cout << "  reporter  backlog " << u64(r, "backlog") << ", delivered " << u64(r, "delivered");
    if (r.contains("last_delivery_age_s") && r["last_delivery_age_s"].is_number()) {
      std::cout << ", last delivery " << human_duration(u64(r, "last_delivery_age_s")) << " ago";
    }
    if (!r.value("last_error", "").empty()) std::cout << ", last error: " << r.value("last_error", "");
    if (!r.value("alarm", "").empty()) std::cout << "\n  ALARM     " << r.value("alarm", "");
    std::cout << "\n";
  }
  if (s.contains("alarms") && s["alarms"].is_array()) {
    for (const auto& a : s["alarms"])
      if (a.is_string()) std::cout << "  ALARM     " << a.get<std::string>() << "\n";
  }
  if (s.contains("rates")) {
    const auto& r = s["rates"];
    std::cout << "  rates     " << rate(r.value("packets_per_s", 0.0), "pkt/s") << ", "
              << byte_rate(r.value("bytes_per_s", 0.0)) << ", "
              << rate(r.value("files_per_s", 0.0), "files/s") << ", "
              << rate(r.value("hits_per_s", 0.0), "hits/s") << "\n";
  }
  if (s.contains("drops")) {
    const auto& d = s["drops"];
    std::cout << "  drops     nic " << u64(d, "nic") << ", forward " << u64(d, "forward")
              << ", flows evicted " << u64(d, "flow_evictions") << ", files truncated "
              << u64(d, "truncated_files") << ", pdq skipped " << u64(d, "pdq_skipped") << " (since start)\n";
  }
  if (s.contains("watch")) print_watch(s["watch"]);
  if (s.contains("config")) print_config(s["config"]);
}

// dijk-check's lines. Whatever they say, they leave the exit status alone: it speaks for dijkd and
// dijk-control (the image's health check and scripts rely on that), and dijk-check is optional.
json check_api_status(const CheckApiSocket& where, bool print) {
  const CheckProbe p = probe_check_api(where.path);
  const std::string group = where.group.empty() ? "dijk-check's group" : "group " + where.group;
  json j{{"daemon", "dijk-check"}, {"socket", where.path}, {"running", p.state == CheckProbe::State::up}};
  switch (p.state) {
    case CheckProbe::State::up: {
      j["health"] = p.health;
      if (!print) break;
      const json& h = p.health;
      const json set = h.value("set", json::object());
      if (h.value("status", "") == "ok") {
        std::cout << "dijk-check up, set version " << u64(set, "version");
        if (set.contains("age_s") && set["age_s"].is_number())
          std::cout << ", " << human_duration(u64(set, "age_s")) << " old";
        std::cout << "\n";
      } else {
        std::cout << "dijk-check up, NO SET: every check is answered 503 until one is installed\n";
      }
      const json req = h.value("requests", json::object());
      const json v = h.value("verdicts", json::object());
      std::cout << "  requests  " << u64(req, "total") << " answered (" << u64(req, "rejected")
                << " refused) since start; verdicts " << u64(v, "allow") << " allow, " << u64(v, "report")
                << " report, " << u64(v, "block") << " block\n";
      break;
    }
    case CheckProbe::State::not_running:
      j["error"] = p.detail;
      if (print) std::cout << "dijk-check: not running (" << where.path << ": " << p.detail << ")\n";
      break;
    case CheckProbe::State::denied:
      j["error"] = p.detail;
      if (print)
        std::cout << "dijk-check: not readable: add yourself to " << group << " (" << where.path << ": "
                  << p.detail << ")\n";
      break;
    case CheckProbe::State::failed:
      j["error"] = p.detail;
      if (print) std::cout << "dijk-check: no answer on " << where.path << ": " << p.detail << "\n";
      break;
  }
  return j;
}

// The exit status, as `systemctl is-active` has it: 0 all healthy, 1 degraded, 3 a daemon not running,
// 2 a daemon that could not be asked (permission, protocol).
constexpr int kStatusDegraded = 1;
constexpr int kStatusNotRunning = 3;

int run_status(const cli::ParsedArgs& args) {
  json all = json::array();
  bool degraded = false, down = false, failed = false;
  std::vector<std::string> reasons;
  for (const auto& socket : daemon_sockets(args)) {
    try {
      auto s = call(socket, "status");
      for (const auto& p : s.value("problems", json::array())) {
        degraded = true;
        reasons.push_back(s.value("daemon", socket.daemon) + ": " +
                          (p.is_string() ? p.get<std::string>() : p.dump()));
      }
      if (args.flag("--json")) {
        all.push_back(s);
      } else {
        print_status(s);
      }
    } catch (const DaemonDown& e) {
      down = true;
      reasons.push_back(socket.daemon + ": not running");
      if (args.flag("--json")) {
        all.push_back({{"daemon", socket.daemon}, {"error", e.what()}, {"running", false}});
      } else {
        std::cout << socket.daemon << ": not reachable: " << e.what() << "\n";
      }
    } catch (const std::exception& e) {
      failed = true;
      if (args.flag("--json")) {
        all.push_back({{"daemon", socket.daemon}, {"error", e.what()}});
      } else {
        std::cout << socket.daemon << ": not reachable: " << e.what() << "\n";
      }
    }
  }
  if (const auto watch = watch_socket(args)) {
    // Optional: not running is a line, not an exit status; running, its problems count.
    try {
      auto s = call(*watch, "status");
      for (const auto& p : s.value("problems", json::array())) {
        degraded = true;
        reasons.push_back("dijk-watch: " + (p.is_string() ? p.get<std::string>() : p.dump()));
      }
      if (args.flag("--json")) {
        all.push_back(s);
      } else {
        print_status(s);
      }
    } catch (const DaemonDown&) {
      if (args.flag("--json")) {
        all.push_back({{"daemon", "dijk-watch"}, {"socket", watch->path}, {"running", false}});
      } else {
        std::cout << "dijk-watch: not running (" << watch->path << ")\n";
      }
    } catch (const std::exception& e) {
      failed = true;
      if (args.flag("--json")) {
        all.push_back({{"daemon", "dijk-watch"}, {"error", e.what()}});
      } else {
        std::cout << "dijk-watch: not reachable: " << e.what() << "\n";
      }
    }
  }
  if (const auto check = check_api_socket(args)) {
    const json c = check_api_status(*check, !args.flag("--json"));
    if (args.flag("--json")) all.push_back(c);
  }
  if (args.flag("--json")) {
    print_json(all);
  } else if (!reasons.empty()) {
    for (const auto& r : reasons) std::cout << "degraded: " << r << "\n";
  }
  if (down) return kStatusNotRunning;
  if (failed) return cli::kExitError;
  return degraded ? kStatusDegraded : cli::kExitOk;
}

std::string label_text(const json& labels) {
  std::string out;
  for (const auto& [k, v] : labels.items()) {
    out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string number_text(double v) {
  std::ostringstream out;
  if (v == static_cast<double>(static_cast<long long>(v))) {
    out << static_cast<long long>(v);
  } else {
    out << std::setprecision(6) << v;
  }
  return out.str();
}

// One line per metric name with its total; under it the per-lcore (or other label) values.
void print_stats(const json& samples) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> by_name;
  for (const auto& s : samples) {
    const auto name = s.value("name", "");
    if (!by_name.count(name)) order.push_back(name);
    by_name[name].push_back(&s);
  }
  for (const auto& name : order) {
    const auto& list = by_name[name];
    double total = 0;
    for (const auto* s : list) total += s->value("value", 0.0);
    std::string left = name;
    if (left.size() < 44) left.resize(44, ' ');
    const bool labelled = list.size() > 1 || !(*list.front())["labels"].empty();
    std::cout << left << " " << number_text(total) << (labelled ? "  (total)" : "") << "\n";
    if (!labelled) continue;
    for (const auto* s : list) {
      std::string sub = "    " + label_text((*s)["labels"]);
      if (sub.size() < 44) sub.resize(44, ' ');
      std::cout << sub << " " << number_text(s->value("value", 0.0)) << "\n";
    }
  }
}

int run_stats(const cli::ParsedArgs& args) {
  json all = json::object();
  const auto sockets = every_daemon_socket(args);
  const std::size_t required = daemon_sockets(args).size();  // dijkd and dijk-control; the rest are optional
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    const auto& socket = sockets[i];
    json result;
    try {
      result = call(socket, "stats");
    } catch (const DaemonDown&) {
      if (i < required) throw;
      continue;  // optional, and `status` says it is not running
    }
    if (args.flag("--json")) {
      all[socket.daemon] = result;
    } else {
      std::cout << "# " << socket.daemon << "\n";
      print_stats(result.value("counters", json::array()));
    }
  }
  if (args.flag("--json")) print_json(all);
  return cli::kExitOk;
}

int run_hits(const cli::ParsedArgs& args) {
  json request = json::object();
  const auto now = unix_now();
  if (auto since = args.value("--since")) request["since_unix"] = parse_since(*since, now);
  if (auto limit = args.value("--limit")) {
    try {
      request["limit"] = std::stoull(*limit);
    } catch (const std::exception&) {
      throw cli::UsageError("--limit wants a number, not '" + *limit + "'");
    }
  }
  const auto result = call(control_socket(args), "hits", request);
  const auto hits = result.value("hits", json::array());
  if (args.flag("--json")) {
    print_json(result);
    return cli::kExitOk;
  }
  if (hits.empty()) {
    std::cout << "no hits"
              << (request.contains("since_unix") ? " since " + iso_time(request["since_unix"]) : "") << "\n";
    return cli::kExitOk;
  }
  for (const auto& h : hits) {
    const auto t = static_cast<std::int64_t>(u64(h, "time_ns") / 1'000'000'000ULL);
    // Names came from a disk or an uploader: escaped, so none forges a line or drives the terminal.
    std::string where = h.value("path", "");
    if (where.empty()) where = h.value("host", "") + h.value("uri", "");
    std::cout << iso_time(t) << "  " << h.value("algorithm", "?") << ":" << h.value("hash", "").substr(0, 16)
              << "  " << h.value("source", "?") << "  " << printable_text(where);
    // A hit of a journal other than dijkd's says which, as NAME:POS (the id its quarantine uses too).
    if (const auto id = h.find("id"); h.contains("journal") && id != h.end() && id->is_string())
      std::cout << "  " << printable_text(id->get<std::string>());
    if (!h.value("filename", "").empty())
      std::cout << "  \"" << printable_text(h.value("filename", "")) << "\"";
    std::cout << "  set " << u64(h, "set_version")
              << (h.value("reported", false) ? "  reported" : "  pending") << "\n";
  }
  std::cout << hits.size() << " hit" << (hits.size() == 1 ? "" : "s") << "\n";
  return cli::kExitOk;
}

// What a request to dijk-control's feed thread answered at once: as JSON, or its message.
void print_request(const cli::ParsedArgs& args, const json& requested) {
  if (args.flag("--json")) {
    print_json(requested);
  } else {
    std::cout << requested.value("message", std::string("requested")) << "\n";
  }
}

// Polls sync.status until its `counter` reaches the request's ticket: the waiting is here, never on the
// daemon's admin thread.
json await_ticket(const DaemonSocket& socket, const json& requested, const char* counter) {
  for (;;) {
    json done = call(socket, "sync.status");
    if (u64(done, "link") != u64(requested, "link"))
      throw std::runtime_error("the feed was reconfigured while waiting; see `dijkctl status`");
    if (u64(done, counter) >= u64(requested, "ticket")) return done;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Asks for a sync and answers at once; with --wait, waits until that sync is done and exits 2 if it failed.
int run_sync_now(const cli::ParsedArgs& args) {
  const auto socket = control_socket(args);
  const auto requested = call(socket, "sync.now");
  if (!args.flag("--wait")) {
    print_request(args, requested);
    return cli::kExitOk;
  }
  const json done = await_ticket(socket, requested, "completed");
  if (args.flag("--json")) {
    print_json(done);
  } else if (done.value("ok", false)) {
    std::cout << done.value("message", std::string()) << "\n"
              << "set version now " << u64(done, "set_version") << "\n";
  }
  if (!done.value("ok", false)) throw std::runtime_error(done.value("message", std::string("sync failed")));
  return cli::kExitOk;
}

int run_set_show(const cli::ParsedArgs& args) {
  const auto result = call(control_socket(args), "set.show");
  if (args.flag("--json")) {
    print_json(result);
    return cli::kExitOk;
  }
  std::cout << "active set   version " << u64(result, "version") << ", " << u64(result, "entries")
            << " entries\n"
            << "built        " << iso_time(static_cast<std::int64_t>(u64(result, "created_unix")))
            << (result.contains("age_s") ? " (" + human_duration(u64(result, "age_s")) + " ago)"
                                         : std::string())
            << "\n"
            << "file         " << result.value("path", "") << "\n";
  if (result.contains("previous") && !result["previous"].empty()) {
    std::cout << "rollback to  ";
    for (const auto& v : result["previous"]) std::cout << v.dump() << " ";
    std::cout << "\n";
  }
  return cli::kExitOk;
}

int run_set_rollback(const cli::ParsedArgs& args) {
  const auto result = call(control_socket(args), "set.rollback");
  if (args.flag("--json")) {
    print_json(result);
  } else {
    std::cout << "rolled back from set version " << u64(result, "was") << " to " << u64(result, "version")
              << "\n";
  }
  return cli::kExitOk;
}

// Asks for a merge and answers at once; with --wait, waits until that merge has run and exits 2 if it
// failed or was superseded.
int run_set_merge(const cli::ParsedArgs& args) {
  const auto socket = control_socket(args);
  const auto requested = call(socket, "set.merge");
  if (!args.flag("--wait") || !requested.value("requested", false)) {
    print_request(args, requested);
    return cli::kExitOk;
  }
  const json done = await_ticket(socket, requested, "merge_runs");
  const std::string what = done.value("last_merge", std::string());
  const bool merged = what.rfind("merged", 0) == 0 || what.rfind("nothing to merge", 0) == 0;
  if (args.flag("--json")) {
    print_json(done);
  } else if (merged) {
    std::cout << what << " (" << done.value("last_merge_seconds", 0.0) << " s)\n";
  }
  if (!merged) throw std::runtime_error("merge " + (what.empty() ? std::string("did not run") : what));
  return cli::kExitOk;
}

}  // namespace

std::vector<cli::Verb> admin_verbs() {
  return {
      {"status", "versions, uptime, set age, feed and reporter health, rates",
       "status [--json] [--socket PATH] [--check-socket PATH]",
       "Asks each daemon (dijkd and dijk-control) how it is: set, feed (version, lag, expiry), reporter, "
       "rates, drops, and the config (a change waiting for confirmation, a file that differs from what "
       "runs). Exit status, like `systemctl is-active`: 0 healthy; 1 degraded, with a `degraded:` line "
       "for each reason (no set, set file refused, feed unhealthy, reporter alarm, config file with "
       "errors); 3 a daemon is not running; 2 a daemon could not be asked (e.g. permission denied). "
       "Then dijk-check's health over its unix socket (set version, requests and verdicts since it "
       "started), which never changes the exit status.",
       daemon_options(
           {{"--check-socket", true,
             "dijk-check's socket (default check_api.socket; not asked with --socket alone)", "PATH"}}),
       run_status},
      {"stats", "every counter, per lcore", "stats [--json] [--socket PATH]",
       "Every counter the daemons keep (the same as the Prometheus endpoint), with per-lcore values under "
       "each total.",
       daemon_options(), run_stats},
      {"hits", "recent hits from the journal", "hits [--since T] [--limit N] [--json]",
       "Hits recorded in the journal, oldest first. T is relative (15m, 2h, 3d), a unix time, or "
       "2026-11-28T10:00:00Z.",
       daemon_options({{"--since", true, "only hits at or after T", "T"},
                       {"--limit", true, "at most N hits (the newest)", "N"}}),
       run_hits},
      {"sync now", "poll the hotline feed now", "sync now [--wait] [--json]",
       "Asks dijk-control to fetch and verify feed updates now instead of at the next interval, and returns "
       "at once. With --wait, waits for that sync and prints its outcome (exit 2 if it failed).",
       daemon_options({{"--wait", false, "wait for the sync and print its outcome"}}), run_sync_now},
      {"set show", "the active hash set", "set show [--json]",
       "The active set's version, size, age and file, and the versions a rollback can return to.",
       daemon_options(), run_set_show},
      {"set rollback", "go back to the previous hash set", "set rollback [--json]",
       "Swaps the previous set back in (for a bad update); the feed resumes from there at its next sync.",
       daemon_options(), run_set_rollback},
      {"set merge", "fold the set's overlay into a new base now", "set merge [--wait] [--json]",
       "Feed deltas go live as an overlay beside the set's base, merged into a new base in the background "
       "once it reaches feed.merge_overlay_at entries. This merges it now, whatever its size, at the "
       "lowest CPU priority, with lookups served throughout; it returns at once. With --wait, waits for "
       "the merge and prints what it did (exit 2 if it failed, or was superseded by a sync meanwhile).",
       daemon_options({{"--wait", false, "wait for the merge and print what it did"}}), run_set_merge},
  };
}

}  // namespace dijk::ctl
