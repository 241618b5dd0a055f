// A core file that includes only the standard library and core: allowed.
#include <string>

#include "core/flow_tuple.h"
