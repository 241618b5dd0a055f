#pragma once
// Every hit journal dijk-control reports, and where each one's reporter keeps its state. "wire" (dijkd's
// journal in paths.journal) comes first with the paths it has always had, so nothing moves on an upgrade;
// each [[reporting.journals]] entry (e.g. the check API's) gets its own acknowledged position and
// quarantine beside it in paths.state.
#include <string>
#include <string_view>
#include <vector>

#include "config/schema/config.h"

namespace dijk {

inline constexpr std::string_view kWireJournal = "wire";

struct ReportedJournal {
  std::string name;            // "wire", or a [[reporting.journals]] name
  std::string dir;             // the journal's directory
  std::string ack_state;       // the acknowledged position (the journal's writer reads it for retention)
  std::string quarantine_dir;  // hits the inbox refused for good
};

std::vector<ReportedJournal> journals_to_report(const Config& config);

// The [[reporting.journals]] entry named `name`, for a writer of hits other than dijkd (dijkctl scan
// --report, dijk-watch). Throws std::runtime_error when there is none, saying that `who` names it and
// what to add to the config.
ReportedJournal reported_journal_named(const Config& config, std::string_view name, std::string_view who);

// A journal name as [[reporting.journals]] accepts it: 1 to 32 of [a-z0-9-], and not "wire".
bool valid_journal_name(std::string_view name);

}  // namespace dijk
