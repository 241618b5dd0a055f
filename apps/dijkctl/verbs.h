#pragma once
// One factory a verb; main.cpp collects them.
#include "config/cli/verb_table.h"

namespace dijk::ctl {

cli::Verb hash_verb();
cli::Verb scan_verb();
cli::Verb quarantine_verb();  // hits quarantine list|retry|drop (verbs_quarantine.cpp)

}  // namespace dijk::ctl

#include <vector>

namespace dijk::ctl {

// Verbs that ask the running daemons (verbs_admin.cpp): status, stats, hits, sync now, set show|rollback.
std::vector<cli::Verb> admin_verbs();
// config validate|show|set|confirm|reload|undo (verbs_config.cpp).
std::vector<cli::Verb> config_verbs();
// catalog stats|verify|hunt|compact (catalog_verbs.cpp).
std::vector<cli::Verb> catalog_verbs();
// enroll request|install (enroll_verbs.cpp): the appliance's key, its request, the hotline's bundle.
std::vector<cli::Verb> enroll_verbs();

}  // namespace dijk::ctl
