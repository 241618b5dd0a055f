#pragma once
// Copies every hit (and each appliance's latest heartbeat) of one inbox store into another (SQLite to
// PostgreSQL, or back), rows as they are: keys, first-received times and reports kept. Re-runnable: a key the
// destination holds is skipped, so a second run after the old inbox took a few more hits copies just those.
#include <cstdint>

#include "apps/dijk-hotline/inbox/inbox_store.h"

namespace dijk::inbox {

struct MigrateResult {
  std::uint64_t read = 0;        // rows in the source
  std::uint64_t copied = 0;      // of which new at the destination
  std::uint64_t present = 0;     // of which the destination held already
  std::uint64_t heartbeats = 0;  // appliances' latest heartbeats offered to the destination
};

// Each batch is one transaction at the destination; an interrupted run leaves whole batches, and the next
// run completes it.
MigrateResult migrate_hits(InboxStore& from, InboxStore& to, std::size_t batch = 1000);

}  // namespace dijk::inbox
