#include "config/schema/journals.h"

#include <stdexcept>

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

ReportedJournal reported_journal_named(const Config& config, std::string_view name, std::string_view who) {
  for (const auto& j : journals_to_report(config)) {
    if (j.name == name && name != kWireJournal) return j;
  }
  const std::string n(name);
  throw std::runtime_error(std::string(who) + " names no [[reporting.journals]] entry \"" + n +
                           "\"; add one, e.g.\n  [[reporting.journals]]\n  name = \"" + n +
                           "\"\n  dir = \"/var/lib/dijk/journal-" + n + "\"");
}

bool valid_journal_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name == kWireJournal) return false;
  return name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

}  // namespace dijk
