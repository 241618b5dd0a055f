#pragma once
// The inbox's SQLite database: one row per hit, keyed by idempotency key, so a delivery repeated after a
// lost acknowledgement is stored once. Schema in docs/journal.md. Thread-safe (one connection, a mutex).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "apps/dijk-hotline/inbox/report_parse.h"

struct sqlite3;

namespace dijk::inbox {

struct StoreResult {
  std::uint64_t accepted = 0;
  std::uint64_t duplicates = 0;
};

struct StoredHit {
  std::string key, appliance;
  std::uint64_t position = 0;
  std::int64_t received_at = 0;  // unix seconds
  std::string report;            // JSON
};

class InboxStore {
 public:
  explicit InboxStore(const std::filesystem::path& db);  // creates the schema if needed; throws on error
  ~InboxStore();
  InboxStore(const InboxStore&) = delete;
  InboxStore& operator=(const InboxStore&) = delete;

  // All hits in one transaction, committed (synchronous=FULL) before returning. Throws on failure.
  StoreResult store(const std::vector<InboxHit>& hits, std::int64_t received_at);
  // In received order (then appliance, position).
  void list(std::int64_t since, const std::function<void(const StoredHit&)>& each);
  std::uint64_t count();

 private:
  void exec(const char* sql);
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace dijk::inbox
