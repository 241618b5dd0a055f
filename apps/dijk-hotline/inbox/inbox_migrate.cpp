#include "apps/dijk-hotline/inbox/inbox_migrate.h"

#include <vector>

namespace dijk::inbox {

MigrateResult migrate_hits(InboxStore& from, InboxStore& to, std::size_t batch) {
  MigrateResult r;
  std::vector<StoredHit> rows;
  rows.reserve(batch);
  const auto flush = [&] {
    const StoreResult s = to.copy_in(rows);
    r.copied += s.accepted;
    r.present += s.duplicates;
    rows.clear();
  };
  from.list(0, [&](const StoredHit& h) {
    ++r.read;
    rows.push_back(h);
    if (rows.size() >= batch) flush();
  });
  if (!rows.empty()) flush();
  // The fleet's latest heartbeats too (a newer one at the destination stays).
  from.list_heartbeats([&](const StoredHeartbeat& b) {
    to.store_heartbeat(b);
    ++r.heartbeats;
  });
  return r;
}

}  // namespace dijk::inbox
