#pragma once
// `dijk-hotline inbox` (run the reference inbox) and `dijk-hotline hits` (list what it holds).
#include "config/cli/verb_table.h"

namespace dijk::hotline {

cli::Verb inbox_verb();
cli::Verb hits_verb();

}  // namespace dijk::hotline
