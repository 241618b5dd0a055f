#pragma once
// libpq connections to one PostgreSQL database, shared by the inbox's serving threads. A store takes one
// for a statement and gives it back; one that broke (the server restarted, the network dropped) is closed
// and a fresh one is opened on the next take, so a passing outage costs failed requests, never a restart.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;
struct pg_result;

namespace dijk::inbox {

// The connection broke under a statement (the server restarted, the network dropped, an administrator
// ended the session). The statement may or may not have committed.
class PgConnectionLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A query result, cleared when it goes.
struct PgResultFree {
  void operator()(pg_result* r) const;
};
using PgResult = std::unique_ptr<pg_result, PgResultFree>;

class PgConnections {
 public:
  // url: a libpq connection URI. Opens one connection at once, so a wrong URL fails here; throws.
  PgConnections(std::string url, std::size_t max_open);
  ~PgConnections();
  PgConnections(const PgConnections&) = delete;
  PgConnections& operator=(const PgConnections&) = delete;

  class Lease {
   public:
    Lease(PgConnections& pool, pg_conn* conn) : pool_(&pool), conn_(conn) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(other.conn_) { other.conn_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pg_conn* get() const { return conn_; }
    // Runs statements (one or several, no parameters) that return no rows; throws with the server's message,
    // closing the connection if it broke.
    void exec(const char* sql);
    // Runs `sql` with text parameters; returns the result or throws as exec does (PgConnectionLost when
    // the connection broke). `expect`: PGRES_* code.
    PgResult exec_params(const char* sql, const std::vector<const char*>& params, int expect);
    // The connection is in an unknown state (an exception mid-result): close it instead of reusing it.
    void discard();

   private:
    PgResult check(PgResult r, int expect);
    PgConnections* pool_;
    pg_conn* conn_;
  };

  Lease take();  // waits while max_open connections are taken; throws when none can be opened
  // Closes every idle connection: after one was found broken, the others likely are too (a server
  // restart ends them all), and the next take() opens a fresh one.
  void forget_idle();
  // host, port, database and user of the URL, never its password: for logs.
  const std::string& description() const { return description_; }

 private:
  pg_conn* open();
  void give_back(pg_conn* conn, bool usable);
  std::string url_;
  std::string description_;
  std::size_t max_open_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<pg_conn*> idle_;
  std::size_t open_ = 0;  // idle and taken
};

}  // namespace dijk::inbox
