#pragma once
// `report`: the reporter daemon verb. A shared `dijk-control` main can dispatch to it; until one exists,
// dijk-reporter (main.cpp) is its own binary.
namespace dijk::reporter {
// argv[0] is the verb or program name; the rest are options (see usage in report_main.cpp).
int report_main(int argc, char** argv);
}  // namespace dijk::reporter
