#pragma once
// The inbox's SQLite database (WAL, synchronous=FULL): the embedded default, one file on one host.
// One connection behind a mutex.
#include <filesystem>
#include <mutex>

#include "apps/dijk-hotline/inbox/inbox_store.h"

struct sqlite3;

namespace dijk::inbox {

class SqliteInboxStore final : public InboxStore {
 public:
  explicit SqliteInboxStore(const std::filesystem::path& db);  // creates the schema if needed; throws
  ~SqliteInboxStore() override;
  SqliteInboxStore(const SqliteInboxStore&) = delete;
  SqliteInboxStore& operator=(const SqliteInboxStore&) = delete;

  StoreResult store(const std::vector<InboxHit>& hits, std::int64_t received_at) override;
  StoreResult copy_in(const std::vector<StoredHit>& rows) override;
  void list(std::int64_t since, const std::function<void(const StoredHit&)>& each) override;
  std::uint64_t count() override;
  void store_heartbeat(const StoredHeartbeat& beat) override;
  void list_heartbeats(const std::function<void(const StoredHeartbeat&)>& each) override;
  std::string describe() const override { return path_.string(); }

 private:
  void exec(const char* sql);
  // Inserts each row unless its key is there, in one transaction.
  StoreResult insert(std::size_t n, const std::function<const StoredHit&(std::size_t)>& row);
  std::filesystem::path path_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace dijk::inbox
