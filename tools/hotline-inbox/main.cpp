// dijk-hotline-inbox: the `inbox` and `hits` verbs, until the shared dijk-hotline main dispatches to them.
#include <iostream>
#include <string_view>

#include "tools/hotline-inbox/inbox_cli.h"

int main(int argc, char** argv) {
  const std::string_view verb = argc > 1 ? argv[1] : "";
  if (verb == "inbox") return dijk::inbox::inbox_main(argc - 1, argv + 1);
  if (verb == "hits") return dijk::inbox::hits_main(argc - 1, argv + 1);
  std::cerr << "usage: dijk-hotline-inbox inbox --listen 127.0.0.1:PORT --cert F --key F --client-ca F --db F\n"
               "       dijk-hotline-inbox hits [--since T] [--json|--csv] --db F\n";
  return 2;
}
