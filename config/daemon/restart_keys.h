#pragma once
// What each daemon reads only at its start: a reload or `dijkctl config set` saves a change to one of these
// keys and reports it as waiting for that daemon's restart, rather than claiming it applied. Keep each list
// in step with the daemon's apply hook: a key it applies live does not belong here, a key it reads once
// does. Keys beyond all_restart_keys() must be held_back_keys() (a test checks every list).
#include "config/schema/render.h"

namespace dijk::daemon {

// dijkd applies paths.set (retarget_set) and hashing.pdq_max_distance (the PDQ stage's radius) live; the
// other hashing keys and the HTTP ports shape its per-lcore pipelines, and its journal is opened once.
inline RestartKeys dijkd_restart_keys() {
  return {"dataplane.",
          "admin.",
          "metrics.",
          "policy.",
          "appliance_id",
          "hashing.algorithms",
          "hashing.pdq",
          "hashing.max_pixels",
          "hashing.max_file_size_mb",
          "hashing.digest_lanes",
          "paths.journal",
          "paths.state"};
}

// dijk-check applies [policy], hashing.pdq_max_distance and paths.set live; its listeners and journal are
// set up once. It reads no other [hashing] key.
inline RestartKeys check_restart_keys() {
  return {"admin.", "metrics.", "check_api.", "icap.", "appliance_id", "paths.state"};
}

// dijk-watch builds its watches, catalog, matcher, set and journal once.
inline RestartKeys watch_restart_keys() {
  return {"admin.", "metrics.", "scan.", "appliance_id", "hashing.", "paths."};
}

// dijk-control applies every other key it reads live: its feed link and reporters are rebuilt on a change.
inline RestartKeys control_restart_keys() {
  return {"admin.", "metrics."};
}

}  // namespace dijk::daemon
