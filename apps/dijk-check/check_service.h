#pragma once
// The check API's endpoints, apart from HTTP: each takes the parsed request and gives the status code and
// JSON body to answer. The server (http_server) does transport, access and limits; this does meaning.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/dijk-check/check_engine.h"
#include "core/hit_event.h"
#include "core/verdict.h"
#include "dataplane/pipeline/live_set.h"

namespace dijk::check {

// What the caller said about the upload (X-Dijk-Customer, X-Dijk-Upload-Id, X-Dijk-Client-Ip).
struct Caller {
  std::string customer, upload_id, client_ip;
};

struct Answer {
  unsigned status = 200;
  std::string body;  // JSON
  Verdict verdict = Verdict::allow;
  bool has_verdict = false;  // for the verdict metric: only /v1/check counts uploads
};

// What the service has answered since it started, for /v1/health (the metrics endpoint has the detail).
struct TrafficCounts {
  std::uint64_t requests = 0;  // answered, refusals included
  std::uint64_t rejected = 0;  // refused by a limit or access rule (dijk_check_rejects_total)
  std::uint64_t allow = 0, report = 0, block = 0;  // verdicts on checked files
};

// {"error": {"code": code, "message": message}}
Answer error_answer(unsigned status, std::string_view code, std::string_view message);

// One checked file: its report, the strictest action among its matches, and whether its hits (if any)
// are durable in the journal.
struct Decision {
  FileReport report;
  Verdict verdict = Verdict::allow;
  bool journal_failed = false;
};

class CheckService {
 public:
  // Journals a checked upload's hits and returns once they are durable (false: the journal could not
  // take them).
  using Journal = std::function<bool(const std::vector<HitEvent>&)>;

  CheckService(const CheckEngine& engine, const LiveSet& set, VerdictPolicy policy, Journal journal,
               std::size_t max_hashes);

  Answer check(std::span<const std::uint8_t> file, const Caller& caller) const;
  // The check behind /v1/check and ICAP: match, apply the policy, journal the hits (source and request
  // details from `where`) and return once they are durable.
  Decision decide(std::span<const std::uint8_t> file, const Caller& caller, match::FileContext where) const;
  Answer hash(std::string_view algorithm, std::string_view hex) const;
  Answer hashes(std::string_view body) const;
  Answer pdq(std::string_view body) const;
  Answer health(const TrafficCounts& counts = {}) const;

  // A reloaded [policy]: requests from now on use it; one in flight keeps the policy it began with.
  void set_policy(VerdictPolicy policy);

 private:
  std::shared_ptr<const VerdictPolicy> policy() const;

  const CheckEngine& engine_;
  const LiveSet& set_;
  mutable std::mutex policy_mutex_;  // held only to copy the pointer (never on a packet path)
  std::shared_ptr<const VerdictPolicy> policy_;
  Journal journal_;
  std::size_t max_hashes_;
};

}  // namespace dijk::check
