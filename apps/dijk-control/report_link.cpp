#include "apps/dijk-control/report_link.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <iostream>
#include <random>
#include <system_error>

#include "control/journal/ack_state.h"
#include "control/reporter/report_format.h"
#include "core/durable_file.h"
#include "core/unix_time.h"

namespace dijk::control {
namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The HMAC key only ever stays on this box, so the first start makes one (32 random bytes, mode 0600)
// rather than refusing to report. An existing key is never replaced: hashes must stay comparable.
void ensure_hmac_key(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return;
  std::filesystem::create_directories(file.parent_path());
  unsigned char key[32];
  if (::getrandom(key, sizeof key, 0) != static_cast<ssize_t>(sizeof key)) {
    throw std::system_error(errno, std::generic_category(), "getrandom for the privacy HMAC key");
  }
  write_file_durably(file, std::span<const std::uint8_t>(key, sizeof key), 0600);
  std::cerr << "dijk-control: made a new privacy HMAC key at " << file << std::endl;
}

}  // namespace

reporter::ReporterOptions reporter_options_of(const Config& config, const ReportedJournal& journal) {
  const auto& r = config.reporting;
  reporter::ReporterOptions o;
  o.journal_dir = journal.dir;
  o.journal_name = journal.name;
  o.state_file = journal.ack_state;
  o.quarantine_dir = journal.quarantine_dir;
  o.tls.url = r.url;
  o.tls.cert = r.client_cert;
  o.tls.key = r.client_key;
  o.tls.ca = r.ca;
  o.privacy = r.privacy;
  o.batch_max_hits = r.batch_size;
  o.heartbeat_interval = std::chrono::seconds(r.heartbeat_s);
  return o;
}

ReportLink::ReportLink(const Config& config, const ReportedJournal& journal, Heartbeat heartbeat)
    : options_([&] {
        auto o = reporter_options_of(config, journal);
        o.heartbeat = std::move(heartbeat);
        // The reporter's log lines become the status's last error too.
        const std::string who =
            reporter::is_wire_journal(journal.name) ? "reporter: " : "reporter " + journal.name + ": ";
        o.log = [this, who](std::string_view line) {
          std::cerr << "dijk-control: " << who << line << std::endl;
          std::lock_guard lock(mutex_);
          state_.last_error = std::string(line);
        };
        // The key is read only when a field is hashed: an unused default path need not exist.
        if (o.privacy.any_hmac()) ensure_hmac_key(o.privacy.hmac_key);
        std::filesystem::create_directories(o.journal_dir);
        std::filesystem::create_directories(o.state_file.parent_path());
        return o;
      }()),
      reporter_(options_) {
  state_.acked_position = reporter_.stats().acked_position;
  heartbeat_ns_.store(steady_ns());
  thread_ = std::thread([this] {
    reporter::RunHooks hooks;
    hooks.tick = [this] { heartbeat_ns_.store(steady_ns()); };
    hooks.attempted = [this](std::optional<std::size_t> delivered) { record(delivered); };
    reporter_.run(stop_, hooks);
  });
}

ReportLink::~ReportLink() {
  stop_.store(true);
  thread_.join();
}

ReportState ReportLink::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool ReportLink::alive(std::chrono::seconds within) const {
  return steady_ns() - heartbeat_ns_.load() < std::chrono::nanoseconds(within).count();
}

void ReportLink::record(std::optional<std::size_t> delivered) {
  const auto& st = reporter_.stats();
  std::lock_guard lock(mutex_);
  // A quarantined hit moves the position too, but is no delivery: its log line stays the last error.
  const bool stored = st.hits_acknowledged > state_.delivered;
  state_.delivered = st.hits_acknowledged;
  state_.duplicates = st.duplicates_reported;
  state_.batches = st.batches_sent;
  state_.failures = st.failures;
  state_.refusals = st.refusals;
  state_.quarantined = st.quarantined;
  state_.acked_position = st.acked_position;
  if (stored) {
    state_.last_delivery_unix = unix_now();
    state_.waiting_since_unix = 0;
    state_.last_error.clear();
  } else if (!delivered && state_.waiting_since_unix == 0) {
    state_.waiting_since_unix = unix_now();
  } else if (delivered) {
    state_.waiting_since_unix = 0;  // nothing to send is not a failure
  }
}

}  // namespace dijk::control
