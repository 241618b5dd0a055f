// A control file that includes the data plane: the sideways include check-layers must name.
#include "core/hit_event.h"
#include "dataplane/events/hit_printer.h"
