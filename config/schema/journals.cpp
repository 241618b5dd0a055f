#include "config/schema/journals.h"

namespace dijk {

std::vector<ReportedJournal> journals_to_report(const Config& config) {
  const std::string state = config.paths.state;
  std::vector<ReportedJournal> out;
  out.push_back({std::string(kWireJournal), config.paths.journal, reporter_ack_state_path(config),
                 state + "/reporter-quarantine"});
  for (const auto& j : config.reporting.journals) {
    out.push_back(
        {j.name, j.dir, state + "/reporter-ack-" + j.name, state + "/reporter-quarantine-" + j.name});
  }
  return out;
}

bool valid_journal_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name == kWireJournal) return false;
  return name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

}  // namespace dijk
