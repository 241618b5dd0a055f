#include "control/reporter/reporter.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>

#include "control/journal/ack_state.h"
#include "control/journal/journal_reader.h"
#include "control/reporter/report_format.h"
#include "control/reporter/retry_backoff.h"
#include "core/log_line.h"
#include "core/unix_time.h"

namespace dijk::reporter {

namespace {

std::filesystem::path quarantine_dir_of(const ReporterOptions& o) {
  if (!o.quarantine_dir.empty()) return o.quarantine_dir;
  const auto parent =
      o.state_file.parent_path().empty() ? std::filesystem::path(".") : o.state_file.parent_path();
  return parent / "reporter-quarantine";
}

}  // namespace

Reporter::Reporter(ReporterOptions options)
    : options_(std::move(options)), quarantine_(quarantine_dir_of(options_)), client_(options_.tls) {
  if (!options_.log) options_.log = [](std::string_view m) { log_line("reporter", m); };
  if (options_.privacy.any_hmac()) {
    if (options_.privacy.hmac_key.empty())
      throw std::runtime_error("the privacy policy hashes a field: an HMAC key file is required");
    key_ = HmacKey::from_file(options_.privacy.hmac_key);
  }
  acked_ = journal::read_ack_position(options_.state_file).value_or(0);
  stats_.acked_position = acked_;
}

void Reporter::log(std::string_view m) const {
  options_.log(m);
}

Reporter::Answer Reporter::send(const std::vector<nlohmann::json>& hits, std::size_t count) {
  ++stats_.batches_sent;
  const std::optional<nlohmann::json> beat = current_heartbeat();
  const HttpResult r = client_.post_json(build_report(hits, count, beat ? &*beat : nullptr));
  if (beat && r.status == 200) {
    next_heartbeat_ = std::chrono::steady_clock::now() + options_.heartbeat_interval;
    ++stats_.heartbeats_sent;
  }
  Answer a;
  a.status = r.status;
  a.verdict = classify_status(r.status);
  if (a.verdict == Verdict::refused) {
    ++stats_.refusals;
    a.reason = refusal_reason(r.body);
    log("inbox refused " + std::to_string(count) + " hit" + (count == 1 ? "" : "s") + " for good (" +
        std::to_string(r.status) + "): " + a.reason);
    return a;
  }
  if (a.verdict == Verdict::transient) {
    ++stats_.failures;
    log(r.status == 0 ? "delivery failed: " + r.error
                      : "inbox answered " + std::to_string(r.status) + ": " + r.body.substr(0, 200));
    return a;
  }
  const auto answer = nlohmann::json::parse(r.body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("accepted") ||
      !answer.contains("duplicates") || !answer["accepted"].is_number_unsigned() ||
      !answer["duplicates"].is_number_unsigned() ||
      answer["accepted"].get<std::uint64_t>() + answer["duplicates"].get<std::uint64_t>() != count) {
    ++stats_.failures;
    log("inbox answer does not account for every hit sent; will resend: " + r.body.substr(0, 200));
    a.verdict = Verdict::transient;
    return a;
  }
  a.duplicates = answer["duplicates"].get<std::uint64_t>();
  return a;
}

void Reporter::acknowledge(std::uint64_t position) {
  journal::write_ack_position(options_.state_file, position);
  acked_ = position;
  stats_.acked_position = acked_;
}

bool Reporter::resend_requested_retries() {
  for (const auto& q : quarantine_.pending_retries()) {
    const Answer a = send(std::vector<nlohmann::json>(1, q.hit), 1);
    if (a.verdict == Verdict::transient) return false;
    if (a.verdict == Verdict::refused) {
      quarantine_.refused_again(q.id, a.status, a.reason, unix_now());
      log("retried hit " + q.key + " refused again; it stays in the quarantine");
      continue;
    }
    quarantine_.delivered(q.id, unix_now());
    ++stats_.retries_delivered;
    ++stats_.hits_acknowledged;
    stats_.duplicates_reported += a.duplicates;
    log("retried hit " + q.key + " delivered; it left the quarantine");
  }
  return true;
}

std::optional<std::size_t> Reporter::deliver_once() {
  if (!resend_requested_retries()) return std::nullopt;
  // A fresh reader from the acknowledged position each time: a retry resends exactly the same hits
  // (plus any new ones), and nothing depends on state that a crash would lose.
  journal::JournalReader reader(options_.journal_dir, acked_);
  std::vector<journal::JournalEntry> batch;
  const std::size_t cap = suspect_hits_ > 0 ? suspect_hits_ : options_.batch_max_hits;
  while (batch.size() < cap) {
    auto e = reader.next();
    if (!e) break;
    batch.push_back(std::move(*e));
  }
  if (batch.empty()) {
    if (reader.position() != acked_) acknowledge(reader.position());  // only skipped (corrupt) bytes
    return 0;
  }
  std::vector<nlohmann::json> hits;
  hits.reserve(batch.size());
  for (const auto& e : batch)
    hits.push_back(hit_to_json(e, options_.privacy, key_ ? &*key_ : nullptr, options_.journal_name));
  // A refused batch is halved (its front half resent) until the inbox stores a front part, which moves the
  // position, or refuses a single hit, which is quarantined. The rest of a refused part still holds the
  // refused hit, so the next call sends only that rest: a binary search, about 2 log2(batch) requests.
  std::size_t count = batch.size();
  std::size_t refused_count = 0;  // the smallest front part refused so far
  while (true) {
    const Answer a = send(hits, count);
    if (a.verdict == Verdict::transient) return std::nullopt;
    if (a.verdict == Verdict::stored) {
      acknowledge(count == batch.size() ? reader.position() : batch[count - 1].next_position);
      stats_.hits_acknowledged += count;
      stats_.duplicates_reported += a.duplicates;
      suspect_hits_ = refused_count > count ? refused_count - count : 0;
      return count;
    }
    refused_count = count;
    if (count > 1) {
      count /= 2;
      continue;
    }
    const auto& refused = batch.front();
    QuarantinedHit q;
    q.id = refused.position;
    q.key = idempotency_key(refused.record.appliance_id, options_.journal_name, refused.position);
    q.status = a.status;
    q.reason = a.reason;
    q.quarantined_unix = q.last_refused_unix = unix_now();
    q.hit = hits.front();
    // On disk before the position moves past it: a crash in between resends it, never loses it.
    quarantine_.add(q);
    acknowledge(refused.next_position);
    suspect_hits_ = 0;
    ++stats_.quarantined;
    log("hit " + q.key + " quarantined (" + std::to_string(a.status) + ": " + a.reason +
        "); later hits go on");
    return 1;
  }
}

std::optional<nlohmann::json> Reporter::current_heartbeat() {
  if (!options_.heartbeat) return std::nullopt;
  // Made afresh at most every 10 s (or heartbeat interval): a burst of batches must not ask dijkd and
  // read the journals' backlog for each one.
  const auto now = std::chrono::steady_clock::now();
  const auto fresh_for =
      std::min<std::chrono::milliseconds>(options_.heartbeat_interval, std::chrono::seconds(10));
  if (heartbeat_ && now - heartbeat_made_ < fresh_for) return heartbeat_;
  try {
    if (auto beat = options_.heartbeat()) {
      heartbeat_ = std::move(beat);
      heartbeat_made_ = now;
    }
  } catch (const std::exception& e) {
    log(std::string("heartbeat not made: ") + e.what());  // the last one goes, or none; hits go anyway
  }
  return heartbeat_;
}

bool Reporter::send_heartbeat_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (!options_.heartbeat || now < next_heartbeat_) return true;
  const std::optional<nlohmann::json> beat = current_heartbeat();
  // A failed heartbeat is tried again within half a minute, not every poll: an inbox that is down gets
  // no storm of them, and the log no flood.
  next_heartbeat_ =
      now + std::min<std::chrono::milliseconds>(options_.heartbeat_interval, std::chrono::seconds(30));
  if (!beat) return false;
  const HttpResult r = client_.post_json(build_report({}, 0, &*beat));
  if (r.status != 200) {
    log(r.status == 0 ? "heartbeat failed: " + r.error
                      : "inbox answered a heartbeat " + std::to_string(r.status));
    return false;
  }
  next_heartbeat_ = now + options_.heartbeat_interval;
  ++stats_.heartbeats_sent;
  return true;
}

void Reporter::run(const std::atomic<bool>& stop, const RunHooks& hooks) {
  RetryBackoff backoff(options_.backoff_initial, options_.backoff_max);
  const auto tick = [&] {
    if (hooks.tick) hooks.tick();
  };
  const auto sleep_unless_stopped = [&](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
      tick();
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, std::chrono::milliseconds(20)));
    }
  };
  while (!stop.load()) {
    tick();
    std::optional<std::size_t> delivered;
    try {
      delivered = deliver_once();
    } catch (const std::exception& e) {
      log(std::string("local error: ") + e.what());
    }
    if (hooks.attempted) hooks.attempted(delivered);
    if (!delivered) {
      sleep_unless_stopped(backoff.next_delay());
      continue;
    }
    backoff.reset();
    if (*delivered == 0) {
      // Nothing to send: the heartbeat goes alone when it is due. A failure to send it is logged and
      // tried again within 30 s; it never delays the hits.
      send_heartbeat_if_due();
      sleep_unless_stopped(options_.poll_interval);
    }
  }
}

}  // namespace dijk::reporter
