#include "apps/dijkctl/scan_output.h"

#include <cstdio>
#include <stdexcept>

#include "config/schema/journals.h"
#include "config/schema/loader.h"

namespace dijk::ctl {

Config load_config_for(const cli::ParsedArgs& args, const std::string& why) {
  const std::string path = args.value("--config").value_or(kDefaultConfigPath);
  const auto loaded = load_config_file(path);
  if (!loaded.ok())
    throw std::runtime_error(why + ", and " + path + " cannot be used:\n" + loaded.error_text());
  return loaded.config;
}

void ScanHits::on_hit(const HitEvent& hit) {
  printer_.on_hit(hit);
  if (journal_ == nullptr) return;
  const std::uint64_t ticket = journal_->append_shared(hit);
  std::uint64_t seen = last_ticket_.load(std::memory_order_relaxed);
  while (ticket > seen && !last_ticket_.compare_exchange_weak(seen, ticket)) {
  }
}

std::unique_ptr<journal::JournalWriter> open_report_journal(const Config& config, const std::string& name,
                                                            const std::string& what) {
  // The reporter delivers this journal like the wire one.
  const ReportedJournal target = reported_journal_named(config, name, what);
  journal::JournalOptions jopts;
  jopts.dir = target.dir;
  jopts.appliance_id = config.appliance_id;
  jopts.ack_state = target.ack_state;
  return std::make_unique<journal::JournalWriter>(jopts);
}

bool close_report_journal(journal::JournalWriter& journal, const ScanHits& hits, const std::string& verb) {
  // Every hit is on disk before the verb says so: the reporter delivers what the journal holds.
  const bool durable = hits.last_ticket() == 0 || journal.wait_durable_shared(hits.last_ticket());
  journal.close();
  const bool ok = durable && journal.stats().records_lost == 0;
  if (!ok) std::fprintf(stderr, "%s: hits could not all be journalled (disk full?)\n", verb.c_str());
  return ok;
}

}  // namespace dijk::ctl
