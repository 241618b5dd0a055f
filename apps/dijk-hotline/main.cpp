// dijk-hotline: the tools a hotline engineer uses to build hash sets, publish feeds and read hits.
#include "apps/dijk-hotline/inbox/inbox_verbs.h"
#include "apps/dijk-hotline/verbs.h"

int main(int argc, char** argv) {
  dijk::cli::VerbTable verbs(
      "dijk-hotline", "dijk-hotline: build hash sets, publish signed feeds, enroll appliances, read hits.");
  verbs.add(dijk::hotline::import_verb());
  for (auto& v : dijk::hotline::set_verbs()) verbs.add(std::move(v));
  verbs.add(dijk::hotline::keygen_verb());
  verbs.add(dijk::hotline::publish_verb());
  verbs.add(dijk::hotline::retract_verb());
  verbs.add(dijk::hotline::unretract_verb());
  verbs.add(dijk::hotline::history_verb());
  verbs.add(dijk::hotline::rotate_key_verb());
  for (auto& v : dijk::hotline::enroll_verbs()) verbs.add(std::move(v));
  verbs.add(dijk::hotline::inbox_verb());
  verbs.add(dijk::hotline::hits_verb());
  verbs.add(dijk::hotline::inbox_migrate_verb());
  verbs.add(dijk::hotline::fleet_verb());
  return verbs.dispatch(argc, argv);
}
