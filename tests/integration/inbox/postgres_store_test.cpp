// The inbox's PostgreSQL store against a real server: a batch is stored once and duplicates are counted,
// text an appliance sent arrives as it was, two stores (two inboxes) on one database accept each key
// exactly once however their deliveries interleave, and `inbox migrate` copies a SQLite inbox across and
// back, re-runnable, with `hits` printing the same on both.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "apps/dijk-hotline/inbox/inbox_migrate.h"
#include "apps/dijk-hotline/inbox/postgres_inbox_store.h"
#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "tests/integration/inbox/postgres_fixture.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

inbox::InboxHit hit(const std::string& appliance, std::uint64_t position, const std::string& list = "A",
                    const std::string& url = "http://up.example/x.jpg") {
  inbox::InboxHit h;
  h.key = appliance + ":" + std::to_string(position);
  h.appliance = appliance;
  h.position = position;
  h.time_ns = 1'764'892'800'000'000'000ull + position;
  h.algorithm = "md5";
  char hex[33];
  std::snprintf(hex, sizeof hex, "%032llx", static_cast<unsigned long long>(position));
  h.hash = hex;
  h.list = list;
  h.report = nlohmann::json{{"key", h.key},         {"appliance", appliance},
                            {"position", position}, {"time_ns", h.time_ns},
                            {"algorithm", "md5"},   {"hash", h.hash},
                            {"list", list},         {"url", url}}
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return h;
}

std::vector<inbox::StoredHit> all(inbox::InboxStore& store) {
  std::vector<inbox::StoredHit> rows;
  store.list(0, [&](const inbox::StoredHit& h) { rows.push_back(h); });
  return rows;
}

bool same_row(const inbox::StoredHit& a, const inbox::StoredHit& b) {
  return a.key == b.key && a.appliance == b.appliance && a.position == b.position &&
         a.received_at == b.received_at && a.time_ns == b.time_ns && a.algorithm == b.algorithm &&
         a.hash == b.hash && a.list == b.list && a.report == b.report;
}

class PostgresStore : public WithPostgres {};

TEST_F(PostgresStore, StoresABatchOnceAndCountsEachRedeliveryAsADuplicate) {
  inbox::PostgresInboxStore store(url_);
  const auto first = store.store({hit("a1", 0), hit("a1", 1), hit("a1", 2)}, 1000);
  EXPECT_EQ(first.accepted, 3u);
  EXPECT_EQ(first.duplicates, 0u);
  // A resent batch overlapping the first, with a key twice in itself: only position 3 is new.
  const auto again = store.store({hit("a1", 1), hit("a1", 3), hit("a1", 2), hit("a1", 3)}, 2000);
  EXPECT_EQ(again.accepted, 1u);
  EXPECT_EQ(again.duplicates, 3u);
  EXPECT_EQ(store.count(), 4u);
  const auto rows = all(store);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].key, "a1:1");
  EXPECT_EQ(rows[1].received_at, 1000) << "a redelivery keeps the first received time";
  EXPECT_EQ(rows[3].key, "a1:3");
  EXPECT_EQ(rows[3].received_at, 2000);
  EXPECT_EQ(store.store({}, 3000).accepted, 0u);
  // A second store on the database (a second inbox, or a restart) finds the schema and the rows.
  inbox::PostgresInboxStore second(url_);
  EXPECT_EQ(second.count(), 4u);
  EXPECT_EQ(query("SELECT count(*) FROM hits WHERE received_at = 1000")[0], "3");
}

TEST_F(PostgresStore, TextFromAnApplianceArrivesAsItWasThroughTheArrayEncoding) {
  inbox::PostgresInboxStore store(url_);
  // Everything that means something inside an array literal, in a list name and a URL; and a NUL, which
  // PostgreSQL text cannot hold.
  const std::string hostile = "q\"uo\\te{,}NULL \n\t\x1b[2J ünï \"\"\\";
  auto h = hit("a1", 7, hostile, hostile + "\"}");
  auto nul = hit("a1", 8, std::string("be\0fore", 7));
  auto empty = hit("a1", 9, "");
  ASSERT_EQ(store.store({h, nul, empty}, 42).accepted, 3u);
  const auto rows = all(store);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].list, hostile);
  EXPECT_EQ(rows[0].report, h.report);
  EXPECT_EQ(nlohmann::json::parse(rows[0].report)["url"], hostile + "\"}");
  EXPECT_EQ(rows[1].list,
            "be\xEF\xBF\xBD"
            "fore");
  EXPECT_EQ(rows[2].list, "");
  EXPECT_EQ(rows[0].time_ns, h.time_ns);
  EXPECT_EQ(rows[0].hash, h.hash);
}

// Every session of the inbox ended under it (a server restart or failover does that): the next batch
// still goes in, on a fresh connection, rather than failing once for each dead pooled one.
TEST_F(PostgresStore, ABatchSurvivesTheServerEndingEverySession) {
  inbox::PostgresInboxStore store(url_);
  // Several pooled connections, all idle afterwards.
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 4; ++t) threads.emplace_back([&, t] { store.store({hit("a1", t)}, 1); });
  for (auto& t : threads) t.join();
  const auto ended = query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                           database_ + "' AND pid <> pg_backend_pid()");
  ASSERT_NE(ended.at(0), "0");
  const auto r = store.store({hit("a1", 10), hit("a1", 0)}, 2);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(store.count(), 5u);
}

TEST_F(PostgresStore, AWrongDatabaseIsAClearErrorNotAnEmptyInbox) {
  const std::string missing = url_;
  const auto at = missing.find(database_);
  ASSERT_NE(at, std::string::npos);
  try {
    inbox::open_inbox_store(std::string(missing).replace(at, database_.size(), "no_such_database"));
    FAIL() << "opened a database that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_database"), std::string::npos) << e.what();
  }
}

// Two stores, each with its own connections, stand for two inbox processes. Eight threads deliver every
// key several times in different orders and batch shapes; each key must be accepted exactly once overall.
TEST_F(PostgresStore, TwoStoresOnOneDatabaseAcceptEachKeyExactlyOnceUnderConcurrentDelivery) {
  inbox::PostgresInboxStore inbox_a(url_), inbox_b(url_);
  constexpr std::uint64_t kKeys = 3000;
  constexpr int kThreads = 8;
  std::atomic<std::uint64_t> accepted{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::uint64_t> order(kKeys);
      for (std::uint64_t i = 0; i < kKeys; ++i) order[i] = i;
      std::mt19937_64 rng(static_cast<std::uint64_t>(t) + 1);
      std::shuffle(order.begin(), order.end(), rng);
      inbox::InboxStore& store = t % 2 ? static_cast<inbox::InboxStore&>(inbox_b) : inbox_a;
      const std::size_t batch = 10 + static_cast<std::size_t>(t) * 37;
      for (std::size_t i = 0; i < order.size(); i += batch) {
        std::vector<inbox::InboxHit> hits;
        for (std::size_t j = i; j < std::min(order.size(), i + batch); ++j)
          hits.push_back(hit("a1", order[j]));
        const auto r = store.store(hits, 100 + t);
        accepted += r.accepted;
        duplicates += r.duplicates;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), kKeys);
  EXPECT_EQ(duplicates.load(), kKeys * (kThreads - 1));
  EXPECT_EQ(inbox_a.count(), kKeys);
  EXPECT_EQ(query("SELECT count(DISTINCT idempotency_key), min(position), max(position) FROM hits")[0],
            "3000\t0\t2999");
}

TEST_F(PostgresStore, MigrationCopiesASqliteInboxAcrossAndBackAndIsRerunnable) {
  TempDir tmp;
  const std::string sqlite = tmp.file("inbox.db");
  {
    inbox::SqliteInboxStore source(sqlite);
    // 25 deliveries of 100 hits from two appliances, a second apart.
    for (std::uint64_t batch = 0; batch < 25; ++batch) {
      std::vector<inbox::InboxHit> hits;
      for (std::uint64_t p = batch * 100; p < batch * 100 + 100; ++p)
        hits.push_back(hit(p % 3 ? "a1" : "a2", p));
      source.store(hits, static_cast<std::int64_t>(1000 + batch));
    }
    source.store({hit("a1", 9000, "q\"uo\\te{,}", "\x1b[2J")}, 5000);
  }
  const auto migrate = [&](const std::string& from, const std::string& to) {
    return run_command({DIJK_HOTLINE_BIN, "inbox", "migrate", "--from", from, "--to", to});
  };
  const auto first = migrate(sqlite, url_);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("migrated 2501 hits"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("2501 copied, 0 already there"), std::string::npos) << first.out;
  // Again, after the old inbox took one more hit: just that one is copied.
  inbox::SqliteInboxStore(sqlite).store({hit("a3", 1)}, 6000);
  const auto second = migrate(sqlite, url_);
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.out.find("1 copied, 2501 already there"), std::string::npos) << second.out;

  inbox::SqliteInboxStore source(sqlite);
  inbox::PostgresInboxStore target(url_);
  const auto from_rows = all(source), to_rows = all(target);
  ASSERT_EQ(from_rows.size(), 2502u);
  ASSERT_EQ(to_rows.size(), from_rows.size());
  for (std::size_t i = 0; i < from_rows.size(); ++i)
    ASSERT_TRUE(same_row(from_rows[i], to_rows[i])) << "row " << i << ": " << from_rows[i].key;

  // An analyst sees the same hits whichever database `hits` reads.
  for (const char* format : {"--json", "--csv"}) {
    const auto on_sqlite = run_command({DIJK_HOTLINE_BIN, "hits", "--db", sqlite, format});
    const auto on_postgres = run_command({DIJK_HOTLINE_BIN, "hits", "--db", url_, format});
    ASSERT_EQ(on_postgres.status, 0) << on_postgres.err;
    EXPECT_EQ(on_postgres.out, on_sqlite.out) << format;
    EXPECT_EQ(std::count(on_postgres.out.begin(), on_postgres.out.end(), '\n'),
              format[2] == 'j' ? 2502 : 2503);
  }

  // And back, into a new file, through the library.
  inbox::SqliteInboxStore back(tmp.file("back.db"));
  const auto r = inbox::migrate_hits(target, back, 300);
  EXPECT_EQ(r.read, 2502u);
  EXPECT_EQ(r.copied, 2502u);
  const auto back_rows = all(back);
  ASSERT_EQ(back_rows.size(), from_rows.size());
  for (std::size_t i = 0; i < from_rows.size(); ++i) ASSERT_TRUE(same_row(from_rows[i], back_rows[i])) << i;
}

TEST_F(PostgresStore, KeepsTheNewestHeartbeatPerApplianceAndMigratesThem) {
  inbox::PostgresInboxStore store(url_);
  store.store_heartbeat({"a2", 100, R"({"v":1})"});
  store.store_heartbeat({"a1", 300, R"({"v":3})"});
  store.store_heartbeat({"a1", 200, R"({"v":2})"});  // late, older: ignored
  store.store_heartbeat({"a1", 300, R"({"v":"3b"})"});
  std::vector<inbox::StoredHeartbeat> beats;
  store.list_heartbeats([&](const inbox::StoredHeartbeat& b) { beats.push_back(b); });
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_EQ(beats[0].appliance, "a1");
  EXPECT_EQ(beats[0].received_at, 300);
  EXPECT_EQ(beats[0].heartbeat, R"({"v":"3b"})");
  EXPECT_EQ(store.count(), 0u);
  // From a SQLite inbox, with a newer heartbeat for a1 and an older one for a2 than PostgreSQL holds.
  TempDir tmp;
  inbox::SqliteInboxStore sqlite(tmp.file("inbox.db"));
  sqlite.store_heartbeat({"a1", 400, R"({"v":4})"});
  sqlite.store_heartbeat({"a2", 50, R"({"v":0})"});
  EXPECT_EQ(inbox::migrate_hits(sqlite, store).heartbeats, 2u);
  beats.clear();
  store.list_heartbeats([&](const inbox::StoredHeartbeat& b) { beats.push_back(b); });
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_EQ(beats[0].heartbeat, R"({"v":4})");
  EXPECT_EQ(beats[1].heartbeat, R"({"v":1})");
}

TEST_F(PostgresStore, MigrateRefusesAMissingSourceAndTheSameDatabaseTwice) {
  TempDir tmp;
  const auto missing =
      run_command({DIJK_HOTLINE_BIN, "inbox", "migrate", "--from", tmp.file("nope.db"), "--to", url_});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("no inbox database"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("nope.db")));
  const auto same = run_command({DIJK_HOTLINE_BIN, "inbox", "migrate", "--from", url_, "--to", url_});
  EXPECT_NE(same.status, 0);
}

}  // namespace
}  // namespace dijk::test
