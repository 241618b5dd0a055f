#include "apps/dijk-hotline/inbox/web/analyst_data.h"

#include <algorithm>
#include <ctime>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "apps/dijk-hotline/inbox/fleet_view.h"

namespace dijk::web {
namespace {

std::string text_field(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

HitRow row_of(const inbox::StoredHit& h) {
  auto report = nlohmann::json::parse(h.report, nullptr, false);
  if (!report.is_object()) report = nlohmann::json::object();
  HitRow r;
  r.received_at = h.received_at;
  r.appliance = h.appliance;
  r.source = text_field(report, "source");
  r.list = text_field(report, "list");
  r.category = text_field(report, "category");
  r.algorithm = text_field(report, "algorithm");
  r.hash = text_field(report, "hash");
  r.action = text_field(report, "action");
  // What was uploaded: the URL on the wire, the path in a scan, else the form's file name.
  for (const char* f : {"url", "path", "filename", "url_hmac", "path_hmac", "filename_hmac"}) {
    r.name = text_field(report, f);
    if (!r.name.empty()) break;
  }
  return r;
}

bool matches(const HitRow& r, const HitFilter& f) {
  return f.match.accepts(r.received_at, r.appliance, r.list, r.source, r.hash);
}

}  // namespace

HitsResult newest_hits(inbox::InboxStore& store, const HitFilter& filter) {
  HitsResult out;
  std::deque<HitRow> newest;  // the store lists oldest first: keep the last `limit`
  store.list(filter.since, [&](const inbox::StoredHit& h) {
    HitRow r = row_of(h);
    if (!matches(r, filter)) return;
    ++out.matched;
    newest.push_back(std::move(r));
    if (newest.size() > filter.limit) newest.pop_front();
  });
  out.rows.assign(std::make_move_iterator(newest.rbegin()), std::make_move_iterator(newest.rend()));
  return out;
}

std::vector<ApplianceStatus> FleetFromHits::appliances() {
  std::map<std::string, ApplianceStatus> seen;
  store_.list(0, [&](const inbox::StoredHit& h) {
    auto& a = seen[h.appliance];
    a.id = h.appliance;
    ++a.hits;
    if (h.received_at >= a.last_seen) {
      a.last_seen = h.received_at;
      const auto report = nlohmann::json::parse(h.report, nullptr, false);
      a.last_list = report.is_object() ? text_field(report, "list") : std::string();
    }
  });
  hotline::FleetPolicy policy;
  policy.now = static_cast<std::int64_t>(std::time(nullptr));
  for (const auto& e : hotline::fleet_of(store_, policy).entries) {
    auto& a = seen[e.appliance];
    a.id = e.appliance;
    a.last_seen = std::max(a.last_seen, e.last_seen);
    if (e.beat) a.set_version = e.beat->set_version;
    std::string health;
    for (const auto& p : e.problems) health += (health.empty() ? "" : "; ") + p;
    a.health = health.empty() ? "healthy" : health;
  }
  std::vector<ApplianceStatus> out;
  for (auto& [id, a] : seen) out.push_back(std::move(a));
  std::stable_sort(out.begin(), out.end(), [](const ApplianceStatus& a, const ApplianceStatus& b) {
    return a.last_seen > b.last_seen;
  });
  return out;
}

std::string FleetFromHits::origin() const {
  return "Appliances as seen in their heartbeats (every few minutes) and hit reports.";
}

FeedHistory read_feed_history(const std::filesystem::path& keys_dir) {
  FeedHistory h;
  if (keys_dir.empty()) return h;
  h.configured = true;
  auto parsed = feed::Ledger(keys_dir.string()).read();
  h.records.assign(std::make_move_iterator(parsed.records.rbegin()),
                   std::make_move_iterator(parsed.records.rend()));
  h.problems = std::move(parsed.problems);
  return h;
}

}  // namespace dijk::web
