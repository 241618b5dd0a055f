#pragma once
// The reporter: tails the journal from the acknowledged position, sends hits in batches to the hotline's
// inbox, and moves the acknowledged position (atomically, on disk) only after the inbox has stored them.
// Failed or unanswered batches are retried, unchanged, with exponential backoff and jitter; the inbox
// deduplicates by idempotency key, so a batch delivered twice (crash between store and acknowledgement)
// is stored once. A batch the inbox refuses for good (4xx but 408/429) is halved until the refused hit is
// alone; that hit goes to the quarantine (on disk) and the position moves past it, so one bad hit never
// holds back the ones after it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/reporter/https_client.h"
#include "control/reporter/privacy.h"
#include "control/reporter/quarantine.h"
#include "control/reporter/refusal.h"

namespace dijk::reporter {

struct ReporterOptions {
  std::filesystem::path journal_dir;
  std::string journal_name;              // empty or "wire": dijkd's, whose keys carry no journal name
  std::filesystem::path state_file;      // the acknowledged position (read by the journal's retention)
  std::filesystem::path quarantine_dir;  // refused hits; empty: "reporter-quarantine" beside state_file
  TlsClientOptions tls;
  PrivacyPolicy privacy;  // its key file is read when a field is hmac
  std::size_t batch_max_hits = 500;
  std::chrono::milliseconds poll_interval{50};  // how often an idle reporter looks for new hits
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{60'000};
  std::function<void(std::string_view)> log;  // default: stderr
  // The appliance's heartbeat (docs/journal.md), called on the reporter's thread, at most every 10 s (or
  // heartbeat_interval); the last one made rides in every report, and alone in an empty report when none
  // was answered 200 for heartbeat_interval. Unset: no heartbeats. nullopt: its source was busy (the last
  // one made goes again).
  std::function<std::optional<nlohmann::json>()> heartbeat;
  std::chrono::milliseconds heartbeat_interval{300'000};
};

struct ReporterStats {
  std::uint64_t batches_sent = 0;
  std::uint64_t hits_acknowledged = 0;
  std::uint64_t duplicates_reported = 0;  // the inbox already had them (a retried delivery)
  std::uint64_t failures = 0;
  std::uint64_t refusals = 0;           // answers that refused the hits sent for good (4xx but 408/429)
  std::uint64_t quarantined = 0;        // hits moved to the quarantine
  std::uint64_t retries_delivered = 0;  // quarantined hits an admin retried that the inbox then stored
  std::uint64_t acked_position = 0;
  std::uint64_t heartbeats_sent = 0;  // reports that carried a heartbeat and were answered 200
};

// What a caller of Reporter::run may watch. Both run on the reporter's thread.
struct RunHooks {
  // Called at least every 20 ms while the loop turns, sleeping or backing off too: a watchdog heartbeat.
  std::function<void()> tick;
  // Called after each attempt with deliver_once()'s answer (nullopt also for a local error).
  std::function<void(std::optional<std::size_t>)> attempted;
};

class Reporter {
 public:
  explicit Reporter(ReporterOptions options);
  // The one delivery loop: deliver_once() until stop becomes true, backing off with jitter after each
  // failed attempt and polling at poll_interval when there is nothing to send. A local error (journal
  // unreadable, state file not writable) is logged and retried like a failed delivery: the hits stay in
  // the journal, and the loop must outlive a disk that comes back.
  void run(const std::atomic<bool>& stop, const RunHooks& hooks = {});
  // One attempt: first resends the quarantined hits an admin asked to retry, then reads up to a batch
  // and tries to deliver it. Returns the number of hits the acknowledged position moved past (stored by
  // the inbox, or quarantined); nullopt when a delivery failed and will be retried; 0 when there was
  // nothing to send.
  std::optional<std::size_t> deliver_once();
  // An empty report with only the heartbeat, when one is due (none was answered 200 for
  // heartbeat_interval). Returns false when it was due and did not go through (tried again in 30 s).
  bool send_heartbeat_if_due();
  const ReporterStats& stats() const { return stats_; }
  QuarantineStore& quarantine() { return quarantine_; }

 private:
  struct Answer {
    Verdict verdict = Verdict::transient;
    long status = 0;
    std::string reason;
    std::uint64_t duplicates = 0;
  };
  Answer send(const std::vector<nlohmann::json>& hits, std::size_t count);
  bool resend_requested_retries();
  void acknowledge(std::uint64_t position);
  void log(std::string_view m) const;
  ReporterOptions options_;
  QuarantineStore quarantine_;
  std::optional<HmacKey> key_;
  HttpsClient client_;
  std::uint64_t acked_ = 0;
  // After a refusal: how many hits from acked_ on still hold the refused one (0: none known). In memory
  // only; after a restart the search starts again from a full batch.
  std::size_t suspect_hits_ = 0;
  // When a heartbeat is due alone: heartbeat_interval after the last report that carried one was answered
  // 200; at once at start, so the hotline sees an appliance as soon as it runs.
  std::chrono::steady_clock::time_point next_heartbeat_{};
  std::optional<nlohmann::json> current_heartbeat();  // the last one made, remade when 10 s old
  std::optional<nlohmann::json> heartbeat_;
  std::chrono::steady_clock::time_point heartbeat_made_{};
  ReporterStats stats_;
};

}  // namespace dijk::reporter
