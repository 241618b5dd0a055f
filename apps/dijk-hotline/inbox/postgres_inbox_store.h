#pragma once
// The inbox on PostgreSQL: several inbox processes (and hosts) share one database and still store each hit
// once, because a batch is one INSERT ... ON CONFLICT DO NOTHING on the idempotency key: of two inboxes
// storing the same key at once, the second waits for the first's commit and then counts a duplicate.
// Durable when the server commits (synchronous_commit, the server's setting, decides what that means).
#include <string>

#include "apps/dijk-hotline/inbox/inbox_store.h"
#include "apps/dijk-hotline/inbox/postgres_connections.h"

namespace dijk::inbox {

class PostgresInboxStore final : public InboxStore {
 public:
  // url: a libpq connection URI (postgresql://user@host/db?sslmode=verify-full); the password comes from
  // ~/.pgpass, PGPASSFILE or PGPASSWORD rather than the command line. Creates the schema if needed.
  explicit PostgresInboxStore(const std::string& url, std::size_t max_connections = 8);

  StoreResult store(const std::vector<InboxHit>& hits, std::int64_t received_at) override;
  StoreResult copy_in(const std::vector<StoredHit>& rows) override;
  void list(std::int64_t since, const std::function<void(const StoredHit&)>& each) override;
  std::uint64_t count() override;
  void store_heartbeat(const StoredHeartbeat& beat) override;
  void list_heartbeats(const std::function<void(const StoredHeartbeat&)>& each) override;
  std::string describe() const override { return connections_.description(); }

 private:
  PgConnections connections_;
};

// PostgreSQL's array literal of text values ({"a","b\"c"}): how a batch travels as one parameter. PostgreSQL
// text cannot hold NUL, so a NUL byte becomes U+FFFD; everything else arrives as it was.
std::string pg_text_array(const std::vector<const std::string*>& values);

}  // namespace dijk::inbox
