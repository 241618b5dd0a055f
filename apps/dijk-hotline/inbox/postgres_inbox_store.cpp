#include "apps/dijk-hotline/inbox/postgres_inbox_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <stdexcept>

namespace dijk::inbox {
namespace {

// The same table as SQLite's (docs/journal.md), in PostgreSQL's types.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS hits (
  idempotency_key TEXT PRIMARY KEY,
  appliance       TEXT NOT NULL,
  position        BIGINT NOT NULL,
  received_at     BIGINT NOT NULL,
  time_ns         BIGINT NOT NULL,
  algorithm       TEXT NOT NULL,
  hash            TEXT NOT NULL,
  list            TEXT NOT NULL DEFAULT '',
  report          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS hits_by_received ON hits (received_at);
CREATE INDEX IF NOT EXISTS hits_by_hash ON hits (hash);
CREATE TABLE IF NOT EXISTS heartbeats (
  appliance   TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL,
  heartbeat   TEXT NOT NULL
);
)sql";

// Any fixed number: it only has to be the same in every inbox, so that two starting at once do not both
// create the table (CREATE ... IF NOT EXISTS is not safe against a concurrent CREATE).
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(7305416829);";

// A whole batch is one statement: one round trip and one commit however many hits it holds, and atomic,
// so a batch is stored whole or not at all. The rows keep their order (unnest), and the command tag
// counts only the rows inserted, so accepted + duplicates = rows.
constexpr const char* kInsert =
    "INSERT INTO hits (idempotency_key, appliance, position, received_at, time_ns, algorithm, hash, list, "
    "report) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], "
    "$6::text[], $7::text[], $8::text[], $9::text[]) ON CONFLICT (idempotency_key) DO NOTHING";

std::string int_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::uint64_t to_u64(const char* text) {
  return text && *text ? std::stoull(text) : 0;
}

// The nine column arrays of a batch, as parameters of kInsert.
class BatchParams {
 public:
  explicit BatchParams(std::size_t n) {
    for (auto* c : {&keys_, &appliances_, &algorithms_, &hashes_, &lists_, &reports_}) c->reserve(n);
  }
  void add(const std::string& key, const std::string& appliance, std::uint64_t position,
           std::int64_t received, std::uint64_t time_ns, const std::string& algorithm,
           const std::string& hash, const std::string& list, const std::string& report) {
    keys_.push_back(&key);
    appliances_.push_back(&appliance);
    // Positions and times are below 2^63 (journal bytes; nanoseconds until 2262).
    positions_.push_back(static_cast<std::int64_t>(position));
    received_.push_back(received);
    times_.push_back(static_cast<std::int64_t>(time_ns));
    algorithms_.push_back(&algorithm);
    hashes_.push_back(&hash);
    lists_.push_back(&list);
    reports_.push_back(&report);
  }
  // On a connection that broke, once more on a fresh one: after a server restart every idle pooled
  // connection is dead, and the batch is idempotent (a part the lost attempt committed counts as
  // duplicates, as a redelivery would).
  StoreResult insert(PgConnections& connections) {
    auto conn = connections.take();
    try {
      return insert(conn);
    } catch (const PgConnectionLost&) {
      connections.forget_idle();
      auto fresh = connections.take();
      return insert(fresh);
    }
  }
  StoreResult insert(PgConnections::Lease& conn) {
    if (keys_.empty()) return {};
    const std::string text[] = {
        pg_text_array(keys_),   pg_text_array(appliances_), int_array(positions_),
        int_array(received_),   int_array(times_),          pg_text_array(algorithms_),
        pg_text_array(hashes_), pg_text_array(lists_),      pg_text_array(reports_)};
    std::vector<const char*> params;
    for (const auto& t : text) params.push_back(t.c_str());
    const PgResult r = conn.exec_params(kInsert, params, PGRES_COMMAND_OK);
    StoreResult out;
    out.accepted = to_u64(PQcmdTuples(r.get()));
    out.duplicates = keys_.size() - out.accepted;
    return out;
  }

 private:
  std::vector<const std::string*> keys_, appliances_, algorithms_, hashes_, lists_, reports_;
  std::vector<std::int64_t> positions_, received_, times_;
};

// The rows' indices by key. Two inboxes inserting overlapping batches each lock a key as they insert it;
// in different orders they could each wait for the other (PostgreSQL would then abort one with "deadlock
// detected"). Every batch inserted in one order, byte order of the key, cannot form such a cycle.
template <typename Row>
std::vector<std::size_t> in_key_order(const std::vector<Row>& rows) {
  std::vector<std::size_t> order(rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return rows[a].key < rows[b].key; });
  return order;
}

}  // namespace

std::string pg_text_array(const std::vector<const std::string*>& values) {
  std::size_t size = 2;
  for (const auto* v : values) size += v->size() + 3;
  std::string out;
  out.reserve(size);
  out += '{';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\0') {
        out += "\xEF\xBF\xBD";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

PostgresInboxStore::PostgresInboxStore(const std::string& url, std::size_t max_connections)
    : connections_(url, max_connections) {
  auto conn = connections_.take();
  conn.exec((std::string("BEGIN;") + kSchemaLock + kSchema + "COMMIT;").c_str());
}

StoreResult PostgresInboxStore::store(const std::vector<InboxHit>& hits, std::int64_t received_at) {
  BatchParams batch(hits.size());
  for (const std::size_t i : in_key_order(hits)) {
    const InboxHit& h = hits[i];
    batch.add(h.key, h.appliance, h.position, received_at, h.time_ns, h.algorithm, h.hash, h.list, h.report);
  }
  return batch.insert(connections_);
}

StoreResult PostgresInboxStore::copy_in(const std::vector<StoredHit>& rows) {
  BatchParams batch(rows.size());
  for (const std::size_t i : in_key_order(rows)) {
    const StoredHit& h = rows[i];
    batch.add(h.key, h.appliance, h.position, h.received_at, h.time_ns, h.algorithm, h.hash, h.list,
              h.report);
  }
  return batch.insert(connections_);
}

void PostgresInboxStore::list(std::int64_t since, const std::function<void(const StoredHit&)>& each) {
  auto conn = connections_.take();
  const std::string since_text = std::to_string(since);
  const char* params[] = {since_text.c_str()};
  PGconn* c = conn.get();
  // Row by row, so that listing a large inbox does not hold all of it in memory; names in byte order, as
  // SQLite sorts them, whatever the database's locale.
  if (PQsendQueryParams(c,
                        "SELECT idempotency_key, appliance, position, received_at, time_ns, algorithm, hash, "
                        "list, report FROM hits WHERE received_at >= $1::bigint "
                        "ORDER BY received_at, appliance COLLATE \"C\", position",
                        1, nullptr, params, nullptr, nullptr, 0) != 1 ||
      PQsetSingleRowMode(c) != 1) {
    const std::string m = PQerrorMessage(c);
    conn.discard();
    throw std::runtime_error("PostgreSQL: " + m);
  }
  std::string error;
  try {
    while (PGresult* raw = PQgetResult(c)) {
      const PgResult r(raw);
      const auto status = PQresultStatus(raw);
      if (status == PGRES_TUPLES_OK) continue;  // the end of the rows
      if (status != PGRES_SINGLE_TUPLE) {
        error = PQresultErrorMessage(raw);
        continue;  // read to the end, so the connection can be reused
      }
      if (!error.empty()) continue;
      const auto text = [&](int column) {
        return std::string(PQgetvalue(raw, 0, column), static_cast<std::size_t>(PQgetlength(raw, 0, column)));
      };
      StoredHit h;
      h.key = text(0);
      h.appliance = text(1);
      h.position = to_u64(PQgetvalue(raw, 0, 2));
      h.received_at = std::stoll(PQgetvalue(raw, 0, 3));
      h.time_ns = to_u64(PQgetvalue(raw, 0, 4));
      h.algorithm = text(5);
      h.hash = text(6);
      h.list = text(7);
      h.report = text(8);
      each(h);
    }
  } catch (...) {
    conn.discard();  // results may still be pending on it
    throw;
  }
  if (!error.empty()) throw std::runtime_error("PostgreSQL: " + error);
}

std::uint64_t PostgresInboxStore::count() {
  auto conn = connections_.take();
  const PgResult r = conn.exec_params("SELECT count(*) FROM hits", {}, PGRES_TUPLES_OK);
  return to_u64(PQgetvalue(r.get(), 0, 0));
}

void PostgresInboxStore::store_heartbeat(const StoredHeartbeat& beat) {
  const std::string received = std::to_string(beat.received_at);
  std::vector<std::string> text{beat.appliance, beat.heartbeat};
  for (auto& t : text) {
    // As in pg_text_array: PostgreSQL text holds no NUL (the JSON is escaped; the name comes from a
    // certificate).
    for (std::size_t at; (at = t.find('\0')) != std::string::npos;) t.replace(at, 1, "\xEF\xBF\xBD");
  }
  auto conn = connections_.take();
  conn.exec_params(
      "INSERT INTO heartbeats (appliance, received_at, heartbeat) VALUES ($1, $2::bigint, $3) "
      "ON CONFLICT (appliance) DO UPDATE SET received_at = excluded.received_at, heartbeat = "
      "excluded.heartbeat "
      "WHERE excluded.received_at >= heartbeats.received_at",
      {text[0].c_str(), received.c_str(), text[1].c_str()}, PGRES_COMMAND_OK);
}

void PostgresInboxStore::list_heartbeats(const std::function<void(const StoredHeartbeat&)>& each) {
  auto conn = connections_.take();
  const PgResult r = conn.exec_params(
      "SELECT appliance, received_at, heartbeat FROM heartbeats ORDER BY appliance COLLATE \"C\"", {},
      PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    StoredHeartbeat b;
    b.appliance = PQgetvalue(r.get(), i, 0);
    b.received_at = std::stoll(PQgetvalue(r.get(), i, 1));
    b.heartbeat = PQgetvalue(r.get(), i, 2);
    each(b);
  }
}

}  // namespace dijk::inbox
