#include "control/reporter/reporter.h"
#include "control/reporter/retry_backoff.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>

#include "control/journal/ack_state.h"
#include "control/journal/journal_reader.h"
#include "control/reporter/report_format.h"

namespace dijk::reporter {

Reporter::Reporter(ReporterOptions options) : options_(std::move(options)), client_(options_.tls) {
  if (!options_.log) options_.log = [](std::string_view m) { std::cerr << "reporter: " << m << std::endl; };
  if (options_.hmac_key_file) key_ = HmacKey::from_file(*options_.hmac_key_file);
  if (options_.privacy.any_hash() && !key_) {
    throw std::runtime_error("the privacy policy hashes a field: an HMAC key file is required");
  }
  acked_ = journal::read_ack_position(options_.state_file).value_or(0);
  stats_.acked_position = acked_;
}

void Reporter::log(std::string_view m) const {
  options_.log(m);
}

std::optional<std::size_t> Reporter::deliver_once() {
  // A fresh reader from the acknowledged position each time: a retry resends exactly the same hits
  // (plus any new ones), and nothing depends on state that a crash would lose.
  journal::JournalReader reader(options_.journal_dir, acked_);
  std::vector<journal::JournalEntry> batch;
  while (batch.size() < options_.batch_max_hits) {
    auto e = reader.next();
    if (!e) break;
    batch.push_back(std::move(*e));
  }
  if (batch.empty()) {
    if (reader.position() != acked_) {  // only skipped (corrupt) bytes: move past them
      journal::write_ack_position(options_.state_file, reader.position());
      acked_ = reader.position();
    }
    return 0;
  }
  const std::string body = build_report(batch, options_.privacy, key_ ? &*key_ : nullptr);
  ++stats_.batches_sent;
  const HttpResult r = client_.post_json(body);
  if (r.status != 200) {
    ++stats_.failures;
    log(r.status == 0 ? "delivery failed: " + r.error
                      : "inbox answered " + std::to_string(r.status) + ": " + r.body.substr(0, 200));
    return std::nullopt;
  }
  const auto answer = nlohmann::json::parse(r.body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("accepted") ||
      !answer.contains("duplicates") || !answer["accepted"].is_number_unsigned() ||
      !answer["duplicates"].is_number_unsigned() ||
      answer["accepted"].get<std::uint64_t>() + answer["duplicates"].get<std::uint64_t>() != batch.size()) {
    ++stats_.failures;
    log("inbox answer does not account for every hit sent; will resend: " + r.body.substr(0, 200));
    return std::nullopt;
  }
  journal::write_ack_position(options_.state_file, reader.position());
  acked_ = reader.position();
  stats_.acked_position = acked_;
  stats_.hits_acknowledged += batch.size();
  stats_.duplicates_reported += answer["duplicates"].get<std::uint64_t>();
  return batch.size();
}

void Reporter::run(const std::atomic<bool>& stop) {
  RetryBackoff backoff(options_.backoff_initial, options_.backoff_max);
  const auto sleep_unless_stopped = [&](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, std::chrono::milliseconds(20)));
    }
  };
  while (!stop.load()) {
    const auto delivered = deliver_once();
    if (!delivered) {
      sleep_unless_stopped(backoff.next_delay());
      continue;
    }
    backoff.reset();
    if (*delivered == 0) sleep_unless_stopped(options_.poll_interval);
  }
}

}  // namespace dijk::reporter
