// dijk-reporter: the reporter daemon (`dijk-reporter report ...`), until a shared dijk-control main
// registers report_verb() next to its other verbs.
#include "control/reporter/report_verb.h"

int main(int argc, char** argv) {
  dijk::cli::VerbTable verbs("dijk-reporter",
                             "dijk-reporter: deliver journaled hits to the hotline's inbox.");
  verbs.add(dijk::reporter::report_verb());
  return verbs.dispatch(argc, argv);
}
