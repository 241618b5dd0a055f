#pragma once
// `dijk-control report`: the reporter daemon as a verb (registered in apps/dijk-control/main.cpp).
#include "config/cli/verb_table.h"

namespace dijk::reporter {
cli::Verb report_verb();
}  // namespace dijk::reporter
