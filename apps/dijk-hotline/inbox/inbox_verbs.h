#pragma once
// `dijk-hotline inbox` (run the reference inbox), `hits` (list what it holds) and `inbox migrate` (copy
// its hits to another database).
#include "config/cli/verb_table.h"

namespace dijk::hotline {

cli::Verb inbox_verb();
cli::Verb hits_verb();
cli::Verb inbox_migrate_verb();

}  // namespace dijk::hotline
