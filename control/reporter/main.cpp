// dijk-reporter: the reporter daemon, until a shared dijk-control main dispatches `report` to it.
#include "control/reporter/report_main.h"

int main(int argc, char** argv) { return dijk::reporter::report_main(argc, argv); }
