#pragma once
// The reporter: tails the journal from the acknowledged position, sends hits in batches to the hotline's
// inbox, and moves the acknowledged position (atomically, on disk) only after the inbox has stored them.
// Failed or unanswered batches are retried, unchanged, with exponential backoff and jitter; the inbox
// deduplicates by idempotency key, so a batch delivered twice (crash between store and acknowledgement)
// is stored once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "control/reporter/https_client.h"
#include "control/reporter/privacy.h"

namespace dijk::reporter {

struct ReporterOptions {
  std::filesystem::path journal_dir;
  std::filesystem::path state_file;  // the acknowledged position (read by the journal's retention)
  TlsClientOptions tls;
  PrivacyPolicy privacy;
  std::optional<std::filesystem::path> hmac_key_file;
  std::size_t batch_max_hits = 500;
  std::chrono::milliseconds poll_interval{50};  // how often an idle reporter looks for new hits
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{60'000};
  std::function<void(std::string_view)> log;  // default: stderr
};

struct ReporterStats {
  std::uint64_t batches_sent = 0;
  std::uint64_t hits_acknowledged = 0;
  std::uint64_t duplicates_reported = 0;  // the inbox already had them (a retried delivery)
  std::uint64_t failures = 0;
  std::uint64_t acked_position = 0;
};

class Reporter {
 public:
  explicit Reporter(ReporterOptions options);
  // Runs until stop becomes true. Returns when stopped; throws only on local errors it cannot survive
  // (e.g. the state file cannot be written).
  void run(const std::atomic<bool>& stop);
  // One attempt: reads up to a batch and tries to deliver it. Returns the number of hits acknowledged;
  // nullopt when the delivery failed (nothing acknowledged); 0 when there was nothing to send.
  std::optional<std::size_t> deliver_once();
  const ReporterStats& stats() const { return stats_; }

 private:
  void log(std::string_view m) const;
  ReporterOptions options_;
  std::optional<HmacKey> key_;
  HttpsClient client_;
  std::uint64_t acked_ = 0;
  ReporterStats stats_;
};

}  // namespace dijk::reporter
