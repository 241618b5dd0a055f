#include "apps/dijk-check/check_service.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "apps/dijk-check/request_body.h"
#include "core/unix_time.h"

namespace dijk::check {

using nlohmann::json;

namespace {
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json match_json(const Match& m) {
  return json{{"list", m.list},
              {"category", m.category},
              {"algorithm", m.algorithm},
              {"hash", m.hash},
              {"distance", m.distance}};
}

json lookup_json(const VerdictPolicy& policy, const LookupReport& r) {
  json matches = json::array();
  for (const Match& m : r.matches) matches.push_back(match_json(m));
  json j{{"matches", std::move(matches)},
         {"verdict", verdict_name(policy.verdict_for(r.matches))},
         {"set_version", r.set_version}};
  if (r.allow_listed) j["allow_listed"] = true;
  return j;
}
}  // namespace

Answer error_answer(unsigned status, std::string_view code, std::string_view message) {
  Answer a;
  a.status = status;
  a.body = dump(json{{"error", {{"code", code}, {"message", message}}}});
  return a;
}

CheckService::CheckService(const CheckEngine& engine, const LiveSet& set, VerdictPolicy policy,
                           Journal journal, std::size_t max_hashes)
    : engine_(engine),
      set_(set),
      policy_(std::make_shared<const VerdictPolicy>(std::move(policy))),
      journal_(std::move(journal)),
      max_hashes_(max_hashes) {}

void CheckService::set_policy(VerdictPolicy policy) {
  auto next = std::make_shared<const VerdictPolicy>(std::move(policy));
  std::lock_guard lock(policy_mutex_);
  policy_ = std::move(next);
}

std::shared_ptr<const VerdictPolicy> CheckService::policy() const {
  std::lock_guard lock(policy_mutex_);
  return policy_;
}

Decision CheckService::decide(std::span<const std::uint8_t> file, const Caller& caller,
                              match::FileContext where) const {
  Decision d;
  d.report = engine_.check_file(file, where);
  FileReport& r = d.report;
  const auto policy = this->policy();
  d.verdict = policy->verdict_for(r.matches);
  // Hits on lists whose action is "allow" are not journalled: the platform said they mean nothing.
  std::vector<HitEvent> hits;
  for (std::size_t i = 0; i < r.matches.size(); ++i) {
    const Match& m = r.matches[i];
    const Verdict action = policy->action_for(m.list, m.category);
    if (action == Verdict::allow) continue;
    HitEvent e = std::move(r.hits[i]);
    e.customer = caller.customer;
    e.upload_id = caller.upload_id;
    e.client_ip = caller.client_ip;
    e.action = verdict_name(action);
    hits.push_back(std::move(e));
  }
  r.hits.clear();
  // A hit is durable before the caller hears of it: a block the platform acts on is never lost.
  d.journal_failed = !hits.empty() && journal_ && !journal_(hits);
  return d;
}

Answer CheckService::check(std::span<const std::uint8_t> file, const Caller& caller) const {
  match::FileContext where;
  where.source = HitSource::api;
  where.time_ns = unix_now_ns();
  const Decision d = decide(file, caller, std::move(where));
  if (d.journal_failed) {
    return error_answer(503, "journal_unavailable", "the hit journal cannot take hits now (disk full?)");
  }
  const FileReport& r = d.report;
  const Verdict verdict = d.verdict;
  json matches = json::array();
  for (const Match& m : r.matches) matches.push_back(match_json(m));
  json j{{"size", r.size},
         {"type", r.type},
         {"md5", r.md5},
         {"sha1", r.sha1},
         {"sha256", r.sha256},
         {"pdq", r.pdq ? json(*r.pdq) : json(nullptr)},
         {"quality", r.quality ? json(*r.quality) : json(nullptr)},
         {"matches", std::move(matches)},
         {"verdict", verdict_name(verdict)},
         {"set_version", r.set_version}};
  if (r.allow_listed) j["allow_listed"] = true;
  if (!caller.upload_id.empty()) j["upload_id"] = caller.upload_id;
  Answer a;
  a.body = dump(j);
  a.verdict = verdict;
  a.has_verdict = true;
  return a;
}

Answer CheckService::hash(std::string_view algorithm, std::string_view hex) const {
  const HashQuery q = parse_hash(algorithm, hex);
  if (!q.error.empty()) return error_answer(400, "bad_hash", q.error);
  json j = lookup_json(*policy(), engine_.lookup(*q.algorithm, q.digest()));
  j["algorithm"] = std::string(algorithm_name(*q.algorithm));
  j["hash"] = q.text;
  Answer a;
  a.body = dump(j);
  return a;
}

Answer CheckService::hashes(std::string_view body) const {
  const HashListRequest req = parse_hash_list(body, max_hashes_);
  if (!req.error.empty()) {
    const bool too_many = req.error.rfind("more than", 0) == 0;
    return error_answer(too_many ? 413 : 400, too_many ? "too_many_hashes" : "bad_request", req.error);
  }
  // Written as text rather than built as a JSON document: 10,000 results as nlohmann objects cost more
  // than the lookups themselves. Only the echoed text of a bad entry needs escaping.
  const auto policy = this->policy();
  std::vector<DigestQuery> queries;
  queries.reserve(req.hashes.size());
  for (const HashQuery& q : req.hashes) {
    if (q.error.empty()) queries.push_back({*q.algorithm, q.digest()});
  }
  const std::vector<LookupReport> reports = engine_.lookup_batch(queries);
  std::size_t next_report = 0;
  std::string out;
  out.reserve(64 + req.hashes.size() * 110);
  out += "{\"results\":[";
  std::size_t matched = 0, invalid = 0;
  for (std::size_t i = 0; i < req.hashes.size(); ++i) {
    const HashQuery& q = req.hashes[i];
    if (i != 0) out += ',';
    if (!q.error.empty()) {
      ++invalid;
      out += "{\"hash\":" + dump(json(q.text)) + ",\"error\":" + dump(json(q.error)) + "}";
      continue;
    }
    const LookupReport& r = reports[next_report++];
    out += "{\"algorithm\":\"";
    out += algorithm_name(*q.algorithm);
    out += "\",\"hash\":\"" + q.text + "\",\"matches\":";  // q.text is hex here: nothing to escape
    if (r.matches.empty()) {
      out += "[]";
    } else {
      ++matched;
      json matches = json::array();
      for (const Match& m : r.matches) matches.push_back(match_json(m));
      out += dump(matches);
    }
    if (r.allow_listed) out += ",\"allow_listed\":true";
    out += ",\"verdict\":\"";
    out += verdict_name(policy->verdict_for(r.matches));
    out += "\"}";
  }
  out += "],\"count\":" + std::to_string(req.hashes.size()) + ",\"matched\":" + std::to_string(matched) +
         ",\"invalid\":" + std::to_string(invalid) +
         ",\"set_version\":" + std::to_string(engine_.set_version()) + "}";
  Answer a;
  a.body = std::move(out);
  return a;
}

Answer CheckService::pdq(std::string_view body) const {
  const PdqRequest req = parse_pdq_request(body);
  if (!req.error.empty()) return error_answer(400, "bad_request", req.error);
  json j = lookup_json(*policy(), engine_.lookup_pdq(req.hash, req.threshold));
  j["hash"] = req.hash.to_hex();
  j["threshold"] = req.threshold;
  Answer a;
  a.body = dump(j);
  return a;
}

Answer CheckService::health(const TrafficCounts& counts) const {
  const SetWatchStatus s = set_.status();
  const bool has_set = engine_.has_set();
  const std::int64_t created = engine_.set_created_unix();
  json j{{"status", has_set ? "ok" : "no_set"},
         {"set",
          {{"path", set_.path()},
           {"version", engine_.set_version()},
           {"created_unix", created},
           {"age_s", has_set ? json(unix_now() - created) : json(nullptr)}}},
         {"feed", {{"swaps", s.swaps}, {"failures", s.failures}, {"last_error", s.last_error}}},
         {"requests", {{"total", counts.requests}, {"rejected", counts.rejected}}},
         {"verdicts", {{"allow", counts.allow}, {"report", counts.report}, {"block", counts.block}}}};
  Answer a;
  // No set: the service is up but cannot say anything about an upload. 503 lets a load balancer know.
  a.status = has_set ? 200 : 503;
  a.body = dump(j);
  return a;
}

}  // namespace dijk::check
