#pragma once
// One factory a verb; main.cpp collects them.
#include "config/cli/verb_table.h"

namespace dijk::hotline {

cli::Verb import_verb();

}  // namespace dijk::hotline
