#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"

#include <sqlite3.h>

#include <stdexcept>

namespace dijk::inbox {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS hits (
  idempotency_key TEXT PRIMARY KEY,   -- "<appliance>:<journal position>"
  appliance       TEXT NOT NULL,      -- client certificate common name
  position        INTEGER NOT NULL,   -- byte position of the hit in the appliance's journal
  received_at     INTEGER NOT NULL,   -- unix seconds, inbox clock, first delivery
  time_ns         INTEGER NOT NULL,   -- when the appliance saw the hit (ns since the epoch)
  algorithm       TEXT NOT NULL,
  hash            TEXT NOT NULL,
  list            TEXT NOT NULL DEFAULT '',
  report          TEXT NOT NULL       -- the hit object as received (format dijk-hits/1)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hits_by_received ON hits (received_at);
CREATE INDEX IF NOT EXISTS hits_by_hash ON hits (hash);
CREATE TABLE IF NOT EXISTS heartbeats (
  appliance   TEXT PRIMARY KEY,       -- client certificate common name
  received_at INTEGER NOT NULL,       -- unix seconds, inbox clock
  heartbeat   TEXT NOT NULL           -- the latest heartbeat, as checked (JSON)
) WITHOUT ROWID;
)sql";

struct Statement {
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(s); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace

SqliteInboxStore::SqliteInboxStore(const std::filesystem::path& db) : path_(db) {
  if (sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("open inbox database " + db.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  exec(kSchema);
}

SqliteInboxStore::~SqliteInboxStore() {
  sqlite3_close(db_);
}

void SqliteInboxStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg);
  }
}

StoreResult SqliteInboxStore::store(const std::vector<InboxHit>& hits, std::int64_t received_at) {
  StoredHit row;
  return insert(hits.size(), [&](std::size_t i) -> const StoredHit& {
    const InboxHit& h = hits[i];
    row.key = h.key;
    row.appliance = h.appliance;
    row.position = h.position;
    row.received_at = received_at;
    row.time_ns = h.time_ns;
    row.algorithm = h.algorithm;
    row.hash = h.hash;
    row.list = h.list;
    row.report = h.report;
    return row;
  });
}

StoreResult SqliteInboxStore::copy_in(const std::vector<StoredHit>& rows) {
  return insert(rows.size(), [&](std::size_t i) -> const StoredHit& { return rows[i]; });
}

StoreResult SqliteInboxStore::insert(std::size_t n, const std::function<const StoredHit&(std::size_t)>& row) {
  std::lock_guard lock(mutex_);
  StoreResult r;
  exec("BEGIN IMMEDIATE");
  try {
    Statement st(
        db_,
        "INSERT OR IGNORE INTO hits (idempotency_key, appliance, position, received_at, time_ns, algorithm, "
        "hash, list, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (std::size_t i = 0; i < n; ++i) {
      const StoredHit& h = row(i);
      sqlite3_reset(st.s);
      bind_text(st.s, 1, h.key);
      bind_text(st.s, 2, h.appliance);
      sqlite3_bind_int64(st.s, 3, static_cast<sqlite3_int64>(h.position));
      sqlite3_bind_int64(st.s, 4, h.received_at);
      sqlite3_bind_int64(st.s, 5, static_cast<sqlite3_int64>(h.time_ns));
      bind_text(st.s, 6, h.algorithm);
      bind_text(st.s, 7, h.hash);
      bind_text(st.s, 8, h.list);
      bind_text(st.s, 9, h.report);
      if (sqlite3_step(st.s) != SQLITE_DONE)
        throw std::runtime_error(std::string("sqlite insert: ") + sqlite3_errmsg(db_));
      if (sqlite3_changes(db_) == 1)
        ++r.accepted;
      else
        ++r.duplicates;
    }
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  exec("COMMIT");
  return r;
}

void SqliteInboxStore::list(std::int64_t since, const std::function<void(const StoredHit&)>& each) {
  std::lock_guard lock(mutex_);
  Statement st(db_,
               "SELECT idempotency_key, appliance, position, received_at, time_ns, algorithm, hash, list, "
               "report FROM hits WHERE received_at >= ?1 ORDER BY received_at, appliance, position");
  sqlite3_bind_int64(st.s, 1, since);
  const auto text = [&](int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.s, column));
    return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st.s, column)));
  };
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    StoredHit h;
    h.key = text(0);
    h.appliance = text(1);
    h.position = static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 2));
    h.received_at = sqlite3_column_int64(st.s, 3);
    h.time_ns = static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 4));
    h.algorithm = text(5);
    h.hash = text(6);
    h.list = text(7);
    h.report = text(8);
    each(h);
  }
}

std::uint64_t SqliteInboxStore::count() {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT COUNT(*) FROM hits");
  if (sqlite3_step(st.s) != SQLITE_ROW) return 0;
  return static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 0));
}

void SqliteInboxStore::store_heartbeat(const StoredHeartbeat& beat) {
  std::lock_guard lock(mutex_);
  Statement st(db_,
               "INSERT INTO heartbeats (appliance, received_at, heartbeat) VALUES (?1, ?2, ?3) "
               "ON CONFLICT (appliance) DO UPDATE SET received_at = excluded.received_at, "
               "heartbeat = excluded.heartbeat WHERE excluded.received_at >= heartbeats.received_at");
  bind_text(st.s, 1, beat.appliance);
  sqlite3_bind_int64(st.s, 2, beat.received_at);
  bind_text(st.s, 3, beat.heartbeat);
  if (sqlite3_step(st.s) != SQLITE_DONE)
    throw std::runtime_error(std::string("sqlite heartbeat: ") + sqlite3_errmsg(db_));
}

void SqliteInboxStore::list_heartbeats(const std::function<void(const StoredHeartbeat&)>& each) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT appliance, received_at, heartbeat FROM heartbeats ORDER BY appliance");
  const auto text = [&](int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.s, column));
    return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st.s, column)));
  };
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    StoredHeartbeat b;
    b.appliance = text(0);
    b.received_at = sqlite3_column_int64(st.s, 1);
    b.heartbeat = text(2);
    each(b);
  }
}

}  // namespace dijk::inbox
