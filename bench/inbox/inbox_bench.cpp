// The inbox's ingest rate on PostgreSQL, beside SQLite and beside a bare COPY of the same rows, each figure
// measured in the same run on the same machine:
//  1. the store alone, one writer, batches of 500 (the reporter's batch): SQLite (WAL, synchronous=FULL),
//     PostgreSQL (INSERT ... ON CONFLICT DO NOTHING from arrays), and COPY of the same rows into a table
//     with the same keys and indexes, one COPY and commit a batch (the most PostgreSQL takes in);
//  2. the whole inbox over mutual TLS on loopback, several clients at once, on SQLite and on PostgreSQL.
// PostgreSQL runs with the package's defaults (fsync, synchronous_commit on), as SQLite syncs each commit.
// Usage: inbox_bench [--hits N] [--clients N]
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "apps/dijk-hotline/inbox/inbox_server.h"
#include "apps/dijk-hotline/inbox/postgres_inbox_store.h"
#include "apps/dijk-hotline/inbox/report_parse.h"
#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "control/reporter/https_client.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/support/postgres_server.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBatch = 500;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One hit as an appliance reports it: a wire hit with its flow, URL and file name (about 500 bytes).
nlohmann::json hit_json(const std::string& appliance, std::uint64_t position) {
  char hash[33];
  std::snprintf(hash, sizeof hash, "%032llx", static_cast<unsigned long long>(position * 2654435761u + 7));
  return {{"key", appliance + ":" + std::to_string(position)},
          {"appliance", appliance},
          {"position", position},
          {"time_ns", 1'764'892'800'000'000'000ull + position * 1000},
          {"source", "wire"},
          {"kind", "exact"},
          {"algorithm", "md5"},
          {"hash", hash},
          {"list", "hotline-a1"},
          {"category", "A1"},
          {"set_version", 42},
          {"size", 183211 + position % 1000},
          {"file_type", "jpeg"},
          {"method", "POST"},
          {"client_ip", "198.51.100." + std::to_string(position % 250)},
          {"client_port", 40000 + position % 20000},
          {"server_ip", "203.0.113.10"},
          {"server_port", 443},
          {"url", "http://uploads.example/u/" + std::to_string(position) + "/upload"},
          {"filename", "IMG_" + std::to_string(position) + ".jpg"}};
}

// Batches of parsed hits, as the inbox hands them to its store.
std::vector<std::vector<dijk::inbox::InboxHit>> make_batches(std::size_t hits) {
  std::vector<std::vector<dijk::inbox::InboxHit>> batches;
  for (std::size_t first = 0; first < hits; first += kBatch) {
    nlohmann::json report{{"format", "dijk-hits/1"}, {"hits", nlohmann::json::array()}};
    for (std::size_t p = first; p < std::min(hits, first + kBatch); ++p)
      report["hits"].push_back(hit_json("appliance-1", p));
    auto parsed = dijk::inbox::parse_report(report.dump(), "appliance-1");
    if (parsed.status != 0) throw std::runtime_error("bench report refused: " + parsed.reason);
    batches.push_back(std::move(parsed.hits));
  }
  return batches;
}

double store_rate(dijk::inbox::InboxStore& store,
                  const std::vector<std::vector<dijk::inbox::InboxHit>>& batches) {
  std::size_t stored = 0;
  const auto start = Clock::now();
  for (const auto& b : batches) stored += store.store(b, 1'764'892'800).accepted;
  return static_cast<double>(stored) / seconds_since(start);
}

// COPY's text format: backslash, tab, newline and carriage return escaped.
void copy_field(std::string& out, const std::string& v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

void check(PGresult* r, ExecStatusType want, const char* what) {
  const bool ok = PQresultStatus(r) == want;
  const std::string m = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) throw std::runtime_error(std::string(what) + ": " + m);
}

// The reference: the same rows into a table like `hits` by COPY, one COPY (one commit) a batch.
double copy_rate(const std::string& url, const std::vector<std::vector<dijk::inbox::InboxHit>>& batches) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  check(PQexec(
            c,
            "CREATE TABLE copied (idempotency_key TEXT PRIMARY KEY, appliance TEXT NOT NULL, position BIGINT "
            "NOT NULL, received_at BIGINT NOT NULL, time_ns BIGINT NOT NULL, algorithm TEXT NOT NULL, hash "
            "TEXT NOT NULL, list TEXT NOT NULL DEFAULT '', report TEXT NOT NULL);"
            "CREATE INDEX ON copied (received_at); CREATE INDEX ON copied (hash);"),
        PGRES_COMMAND_OK, "create");
  std::size_t rows = 0;
  const auto start = Clock::now();
  for (const auto& b : batches) {
    std::string data;
    for (const auto& h : b) {
      copy_field(data, h.key);
      data += '\t';
      copy_field(data, h.appliance);
      data += '\t' + std::to_string(h.position) + "\t1764892800\t" + std::to_string(h.time_ns) + '\t';
      copy_field(data, h.algorithm);
      data += '\t';
      copy_field(data, h.hash);
      data += '\t';
      copy_field(data, h.list);
      data += '\t';
      copy_field(data, h.report);
      data += '\n';
    }
    check(PQexec(c, "COPY copied FROM STDIN"), PGRES_COPY_IN, "copy");
    if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(c, nullptr) != 1)
      throw std::runtime_error(PQerrorMessage(c));
    check(PQgetResult(c), PGRES_COMMAND_OK, "copy end");
    while (PGresult* r = PQgetResult(c)) PQclear(r);
    rows += b.size();
  }
  const double rate = static_cast<double>(rows) / seconds_since(start);
  PQfinish(c);
  return rate;
}

// The whole inbox: `clients` appliances' worth of reporters posting their batches at once over TLS.
double inbox_rate(const std::string& db, const dijk::journal::testing::TestPki& pki, std::size_t hits,
                  std::size_t clients) {
  dijk::inbox::InboxOptions o;
  o.cert = pki.server_cert;
  o.key = pki.server_key;
  o.client_ca = pki.ca;
  o.db = db;
  o.max_per_appliance = clients;
  o.log = [](std::string_view) {};
  dijk::inbox::InboxServer server(o);
  server.start();
  // Bodies made before the clock starts.
  std::vector<std::string> bodies;
  for (std::size_t first = 0; first < hits; first += kBatch) {
    nlohmann::json report{{"format", "dijk-hits/1"}, {"hits", nlohmann::json::array()}};
    for (std::size_t p = first; p < std::min(hits, first + kBatch); ++p)
      report["hits"].push_back(hit_json("appliance-1", p));
    bodies.push_back(report.dump());
  }
  std::atomic<std::size_t> next{0}, stored{0}, failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      dijk::reporter::HttpsClient client({"https://127.0.0.1:" + std::to_string(server.port()) + "/v1/hits",
                                          pki.client_cert, pki.client_key, pki.ca});
      for (std::size_t i; (i = next++) < bodies.size();) {
        const auto r = client.post_json(bodies[i]);
        if (r.status != 200) {
          ++failed;
          continue;
        }
        stored += nlohmann::json::parse(r.body)["accepted"].get<std::size_t>();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double rate = static_cast<double>(stored) / seconds_since(start);
  server.stop();
  if (failed > 0) std::fprintf(stderr, "inbox_bench: %zu batches failed\n", failed.load());
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t hits = 50'000, clients = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--hits") == 0) hits = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--clients") == 0) clients = std::stoul(argv[i + 1]);
  }
  if (!dijk::test::PostgresServer::binaries()) {
    std::fprintf(stderr, "inbox_bench: PostgreSQL server not installed (tools/setup)\n");
    return 77;
  }
  dijk::test::PostgresServer pg(/*durable=*/true);
  const std::filesystem::path dir = pg.work_dir() / "bench";
  std::filesystem::create_directories(dir);
  const auto batches = make_batches(hits);

  // 1. The store alone.
  double sqlite = 0, postgres = 0, copy = 0;
  {
    dijk::inbox::SqliteInboxStore store(dir / "store.db");
    sqlite = store_rate(store, batches);
  }
  {
    dijk::inbox::PostgresInboxStore store(pg.create_database("store"));
    postgres = store_rate(store, batches);
  }
  copy = copy_rate(pg.create_database("copy"), batches);
  std::printf(
      "store, %zu hits in batches of %zu, one writer: PostgreSQL %.0f hits/s; SQLite %.0f hits/s; COPY of "
      "the "
      "same rows %.0f rows/s; PostgreSQL/SQLite %.2f, PostgreSQL/COPY %.2f\n",
      hits, kBatch, postgres, sqlite, copy, postgres / sqlite, postgres / copy);

  // 2. The inbox over TLS.
  const auto pki = dijk::journal::testing::make_test_pki(dir / "pki");
  const double inbox_sqlite = inbox_rate((dir / "inbox.db").string(), pki, hits, clients);
  const double inbox_postgres = inbox_rate(pg.create_database("inbox"), pki, hits, clients);
  std::printf(
      "inbox over TLS, %zu hits in batches of %zu, %zu clients: on PostgreSQL %.0f hits/s; on SQLite %.0f "
      "hits/s; PostgreSQL/SQLite %.2f, PostgreSQL inbox/COPY %.2f\n",
      hits, kBatch, clients, inbox_postgres, inbox_sqlite, inbox_postgres / inbox_sqlite,
      inbox_postgres / copy);
  return 0;
}
