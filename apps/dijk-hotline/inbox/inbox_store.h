#pragma once
// Where the inbox keeps its hits: one row per hit, keyed by idempotency key, so a delivery repeated after a
// lost acknowledgement is stored once. Two backends: SQLite (a file, the embedded default) and PostgreSQL
// (several inbox processes on one database). Schema in docs/journal.md. Implementations are thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "apps/dijk-hotline/inbox/report_parse.h"

namespace dijk::inbox {

struct StoreResult {
  std::uint64_t accepted = 0;
  std::uint64_t duplicates = 0;
};

// A row as stored: every column.
struct StoredHit {
  std::string key, appliance;
  std::uint64_t position = 0;
  std::int64_t received_at = 0;  // unix seconds, inbox clock, first delivery
  std::uint64_t time_ns = 0;
  std::string algorithm, hash, list;
  std::string report;  // JSON
};

// The latest heartbeat of one appliance (heartbeat.h), as stored JSON.
struct StoredHeartbeat {
  std::string appliance;
  std::int64_t received_at = 0;  // unix seconds, inbox clock
  std::string heartbeat;         // JSON, to_json(Heartbeat)
};

class InboxStore {
 public:
  virtual ~InboxStore() = default;
  // All hits in one transaction, durable before returning; a key already stored counts as a duplicate and
  // keeps its first row. Throws on failure (nothing of the batch is then stored).
  virtual StoreResult store(const std::vector<InboxHit>& hits, std::int64_t received_at) = 0;
  // Rows as they are (received_at included), in one transaction, a key already stored skipped: what a
  // migration from another store copies.
  virtual StoreResult copy_in(const std::vector<StoredHit>& rows) = 0;
  // In received order (then appliance, position).
  virtual void list(std::int64_t since, const std::function<void(const StoredHit&)>& each) = 0;
  virtual std::uint64_t count() = 0;
  // Keeps the newest heartbeat per appliance (by received_at; an older one arriving late is ignored).
  virtual void store_heartbeat(const StoredHeartbeat& beat) = 0;
  // By appliance name.
  virtual void list_heartbeats(const std::function<void(const StoredHeartbeat&)>& each) = 0;
  // For logs: the file, or the PostgreSQL URL without its password.
  virtual std::string describe() const = 0;
};

// "postgresql://..." or "postgres://..." (a libpq connection URI): PostgreSQL; anything else is the path of
// a SQLite file. A URI and not libpq's "key=value" form, so that no file name is ever taken for one.
bool is_postgres_url(std::string_view db);

// Opens (and creates the schema of) the store `db` names. Throws on failure.
std::unique_ptr<InboxStore> open_inbox_store(const std::string& db);

}  // namespace dijk::inbox
