#pragma once
// The reporter half of dijk-control: a Reporter built from the [reporting] section, whose run() loop
// (backoff, jitter, polling) turns on a thread of its own, and a snapshot of how delivery goes (for
// status, metrics and the watchdog) that any thread may read. The link only starts and stops the loop.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/schema/config.h"
#include "config/schema/journals.h"
#include "control/reporter/reporter.h"

namespace dijk::control {

struct ReportState {
  std::uint64_t delivered = 0;  // hits the inbox acknowledged since start
  std::uint64_t duplicates = 0;
  std::uint64_t batches = 0;
  std::uint64_t failures = 0;
  std::uint64_t refusals = 0;     // answers refusing hits for good
  std::uint64_t quarantined = 0;  // hits moved to the quarantine since start
  std::uint64_t acked_position = 0;
  std::int64_t last_delivery_unix = 0;  // 0: none since start
  std::int64_t waiting_since_unix = 0;  // first failed attempt since the last success; 0 when none
  std::string last_error;
};

// The reporter's options for one journal: its directory, position and quarantine as journals_to_report()
// places them, inbox and privacy from [reporting].
reporter::ReporterOptions reporter_options_of(const Config& config, const ReportedJournal& journal);

class ReportLink {
 public:
  using Heartbeat = std::function<std::optional<nlohmann::json>()>;
  // One journal's reporter. Throws if the HMAC key or certificates are unusable. heartbeat: what the
  // reporter sends as the appliance's heartbeat (every [reporting] heartbeat_s at the least); unset: none.
  ReportLink(const Config& config, const ReportedJournal& journal, Heartbeat heartbeat = {});
  ~ReportLink();
  ReportLink(const ReportLink&) = delete;
  ReportLink& operator=(const ReportLink&) = delete;

  ReportState state() const;
  // True while the delivery loop is turning (it ticks at least every 100 ms, also while backing off).
  bool alive(std::chrono::seconds within) const;
  // The hits the inbox refused for good (thread-safe; the reporter's thread resends the retried ones).
  reporter::QuarantineStore& quarantine() { return reporter_.quarantine(); }

 private:
  void record(std::optional<std::size_t> delivered);

  reporter::ReporterOptions options_;
  reporter::Reporter reporter_;
  mutable std::mutex mutex_;
  ReportState state_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> heartbeat_ns_{0};
  std::thread thread_;
};

}  // namespace dijk::control
