#include "apps/dijk-hotline/inbox/inbox_store.h"

#include "apps/dijk-hotline/inbox/postgres_inbox_store.h"
#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"

namespace dijk::inbox {

bool is_postgres_url(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::unique_ptr<InboxStore> open_inbox_store(const std::string& db) {
  if (is_postgres_url(db)) return std::make_unique<PostgresInboxStore>(db);
  return std::make_unique<SqliteInboxStore>(db);
}

}  // namespace dijk::inbox
