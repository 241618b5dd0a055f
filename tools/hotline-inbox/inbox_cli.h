#pragma once
// The `inbox` and `hits` verbs of dijk-hotline, as functions so the shared dijk-hotline main can dispatch
// to them. argv[0] is the verb.
namespace dijk::inbox {
int inbox_main(int argc, char** argv);  // inbox --listen 127.0.0.1:PORT --cert F --key F --client-ca F --db F
int hits_main(int argc, char** argv);   // hits [--since T] [--json|--csv] --db F
}  // namespace dijk::inbox
