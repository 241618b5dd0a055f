#pragma once
// One factory a verb; main.cpp collects them.
#include "config/cli/verb_table.h"

namespace dijk::hotline {

cli::Verb import_verb();
// The signed feed (apps/dijk-hotline/feed_verbs.cpp).
cli::Verb keygen_verb();
cli::Verb publish_verb();
cli::Verb retract_verb();
cli::Verb unretract_verb();
cli::Verb history_verb();
cli::Verb rotate_key_verb();

// The appliance CA and enrollment (apps/dijk-hotline/enroll_verbs.cpp): ca init, enroll, enroll revoke,
// enroll list.
std::vector<cli::Verb> enroll_verbs();
// The appliances as their heartbeats describe them (apps/dijk-hotline/fleet_verb.cpp).
cli::Verb fleet_verb();

// Looking inside set files (apps/dijk-hotline/set_verbs.cpp).
std::vector<cli::Verb> set_verbs();

}  // namespace dijk::hotline
