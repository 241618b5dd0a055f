#pragma once
// One factory a verb; main.cpp collects them.
#include "config/cli/verb_table.h"

namespace dijk::ctl {

cli::Verb hash_verb();
cli::Verb scan_verb();

}  // namespace dijk::ctl
