// dijkctl: configure, inspect and drive a dijk appliance; also hash and scan files locally.
#include "apps/dijkctl/verbs.h"

int main(int argc, char** argv) {
  dijk::cli::VerbTable verbs("dijkctl", "dijkctl: configure, inspect and drive a dijk appliance.");
  verbs.add(dijk::ctl::hash_verb());
  verbs.add(dijk::ctl::scan_verb());
  verbs.add(dijk::ctl::quarantine_verb());
  for (auto& v : dijk::ctl::admin_verbs()) verbs.add(std::move(v));
  for (auto& v : dijk::ctl::config_verbs()) verbs.add(std::move(v));
  for (auto& v : dijk::ctl::catalog_verbs()) verbs.add(std::move(v));
  for (auto& v : dijk::ctl::enroll_verbs()) verbs.add(std::move(v));
  return verbs.dispatch(argc, argv);
}
