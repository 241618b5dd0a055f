#pragma once
// What `dijkctl scan` and `dijkctl catalog hunt` share: the config when a verb needs it, and where hits
// go (printed, and with --report journalled for dijk-control's reporter).
#include <atomic>
#include <memory>
#include <string>

#include "config/cli/arg_parser.h"
#include "config/schema/config.h"
#include "control/journal/journal_writer.h"
#include "dataplane/events/hit_printer.h"

namespace dijk::ctl {

// The config named by --config (default /etc/dijk/dijk.toml); `why` says what needed it. Throws with the
// loader's problems.
Config load_config_for(const cli::ParsedArgs& args, const std::string& why);

// Hits printed, and journalled when a journal is given. Called from every reader thread: the printer
// writes each hit in one stdio call, and the journal's shared lane takes a mutex (hits are rare).
class ScanHits final : public HitSink {
 public:
  ScanHits(PrintingHitSink& printer, journal::JournalWriter* journal)
      : printer_(printer), journal_(journal) {}
  void on_hit(const HitEvent& hit) override;
  std::uint64_t last_ticket() const { return last_ticket_.load(); }

 private:
  PrintingHitSink& printer_;
  journal::JournalWriter* journal_;
  std::atomic<std::uint64_t> last_ticket_{0};
};

// The [[reporting.journals]] entry `name` of the config, opened for writing (throws: unwritable, or
// another writer holds it).
std::unique_ptr<journal::JournalWriter> open_report_journal(const Config& config, const std::string& name,
                                                            const std::string& what);
// Waits until every hit is on disk and closes the journal; false (and a line on stderr) if some could
// not be journalled.
bool close_report_journal(journal::JournalWriter& journal, const ScanHits& hits, const std::string& verb);

}  // namespace dijk::ctl
