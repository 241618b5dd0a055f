#pragma once
// `report`: the reporter daemon as a verb, for dijk-control (or dijk-reporter until that main exists).
#include "config/cli/verb_table.h"

namespace dijk::reporter {
cli::Verb report_verb();
}  // namespace dijk::reporter
