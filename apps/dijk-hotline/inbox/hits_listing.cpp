#include "apps/dijk-hotline/inbox/hits_listing.h"

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "apps/dijk-hotline/inbox/inbox_store.h"
#include "apps/dijk-hotline/inbox/text_table.h"
#include "config/cli/time_arg.h"
#include "hashcore/util/safe_text.h"

namespace dijk::hotline {
namespace {

// One hit's fields by name, as text ("" when the hit lacks one).
struct HitRow {
  std::map<std::string, std::string> fields;
  nlohmann::json json;  // the same fields, numbers kept as numbers
  const std::string& get(const std::string& name) const {
    static const std::string kEmpty;
    const auto it = fields.find(name);
    return it == fields.end() ? kEmpty : it->second;
  }
};

HitRow row_of(const inbox::StoredHit& h) {
  auto report = nlohmann::json::parse(h.report, nullptr, false);
  if (!report.is_object()) report = nlohmann::json::object();
  report["received_at"] = h.received_at;
  report["received"] = cli::format_iso_utc(h.received_at);
  if (const auto t = report.find("time_ns"); t != report.end() && t->is_number_unsigned()) {
    report["time"] = cli::format_iso_utc(static_cast<std::int64_t>(t->get<std::uint64_t>() / 1'000'000'000));
  }
  HitRow row;
  row.json = nlohmann::json::object();
  for (const char* name : kHitFields) {
    const auto it = report.find(name);
    if (it == report.end() || it->is_null()) continue;
    row.json[name] = *it;
    row.fields[name] = it->is_string() ? it->get<std::string>() : it->dump();
  }
  // Nothing an appliance sent is lost from JSON, known to this list or not.
  for (const auto& [name, value] : report.items()) {
    if (!row.json.contains(name)) row.json[name] = value;
  }
  return row;
}

bool matches(const HitRow& r, const HitsQuery& q) {
  return q.match.accepts(r.json.value("received_at", std::int64_t{0}), r.get("appliance"), r.get("list"),
                         r.get("source"), r.get("hash"));
}

void print_table(const std::vector<HitRow>& rows, std::ostream& out) {
  // The name of what was uploaded: the URL on the wire, the path in a scan, else the form's file name.
  const auto name_of = [](const HitRow& r) {
    for (const char* f : {"url", "path", "filename", "url_hmac", "path_hmac", "filename_hmac"}) {
      if (!r.get(f).empty()) return r.get(f);
    }
    return std::string();
  };
  const std::vector<std::string> header{"RECEIVED", "TIME",      "APPLIANCE", "SOURCE", "LIST",
                                        "CATEGORY", "ALGORITHM", "HASH",      "NAME"};
  std::vector<std::vector<std::string>> cells{header};
  for (const HitRow& r : rows) {
    cells.push_back({r.get("received"), r.get("time"), r.get("appliance"), r.get("source"), r.get("list"),
                     r.get("category"), r.get("algorithm"), r.get("hash"), name_of(r)});
  }
  print_text_table(std::move(cells), out);
}

void print_counts(const std::vector<HitRow>& rows, std::ostream& out) {
  for (const char* by : {"appliance", "list"}) {
    std::map<std::string, std::uint64_t> counts;
    for (const HitRow& r : rows) ++counts[r.get(by)];
    std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::vector<std::string>> cells{{std::string(by) == "list" ? "LIST" : "APPLIANCE", "HITS"}};
    for (const auto& [name, n] : sorted) cells.push_back({name, std::to_string(n)});
    print_text_table(std::move(cells), out);
    out << "\n";
  }
  out << "total  " << rows.size() << "\n";
}

}  // namespace

std::uint64_t print_hits(inbox::InboxStore& store, const HitsQuery& q, std::ostream& out) {
  std::deque<HitRow> kept;
  store.list(q.since, [&](const inbox::StoredHit& h) {
    HitRow r = row_of(h);
    if (!matches(r, q)) return;
    kept.push_back(std::move(r));
    if (q.limit && kept.size() > *q.limit) kept.pop_front();
  });
  const std::vector<HitRow> rows(std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()));
  switch (q.format) {
    case HitsFormat::table:
      print_table(rows, out);
      break;
    case HitsFormat::counts:
      print_counts(rows, out);
      break;
    case HitsFormat::csv: {
      const char* sep = "";
      for (const char* name : kHitFields) {
        out << sep << name;
        sep = ",";
      }
      out << "\n";
      for (const HitRow& r : rows) {
        sep = "";
        for (const char* name : kHitFields) {
          out << sep << csv_field(r.get(name));
          sep = ",";
        }
        out << "\n";
      }
      break;
    }
    case HitsFormat::json:
      for (const HitRow& r : rows)
        out << r.json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      break;
  }
  return rows.size();
}

}  // namespace dijk::hotline
