#include "apps/dijk-hotline/inbox/postgres_connections.h"

#include <libpq-fe.h>

#include <stdexcept>

namespace dijk::inbox {
namespace {

std::string trimmed_error(PGconn* conn) {
  std::string m = conn ? PQerrorMessage(conn) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// "database D on host H port P as user U", from what libpq makes of the URL (its defaults included).
std::string describe(PGconn* conn) {
  const auto or_default = [](const char* v) { return std::string(v && *v ? v : "(default)"); };
  return "postgresql database " + or_default(PQdb(conn)) + " on " + or_default(PQhost(conn)) + " port " +
         or_default(PQport(conn)) + " as " + or_default(PQuser(conn));
}

}  // namespace

void PgResultFree::operator()(pg_result* r) const {
  PQclear(r);
}

PgConnections::PgConnections(std::string url, std::size_t max_open)
    : url_(std::move(url)), max_open_(max_open == 0 ? 1 : max_open) {
  PGconn* first = open();
  description_ = describe(first);
  std::lock_guard lock(mutex_);
  idle_.push_back(first);
  open_ = 1;
}

PgConnections::~PgConnections() {
  for (PGconn* c : idle_) PQfinish(c);
}

PGconn* PgConnections::open() {
  // The URL comes last so that what it says wins; a name in pg_stat_activity and a connect deadline
  // unless it gives its own.
  const char* keys[] = {"fallback_application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {"dijk-hotline inbox", "10", url_.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    const std::string m = trimmed_error(conn);
    PQfinish(conn);
    throw std::runtime_error("connect to PostgreSQL: " + m);
  }
  // Notices ("relation already exists, skipping") are the server talking to itself, not to the operator.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

PgConnections::Lease PgConnections::take() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_open_; });
  if (!idle_.empty()) {
    PGconn* c = idle_.back();
    idle_.pop_back();
    return Lease(*this, c);
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, open());
  } catch (...) {
    lock.lock();
    --open_;
    returned_.notify_one();
    throw;
  }
}

void PgConnections::forget_idle() {
  std::vector<PGconn*> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_ -= closing.size();
  }
  for (PGconn* c : closing) PQfinish(c);
  returned_.notify_all();
}

void PgConnections::give_back(PGconn* conn, bool usable) {
  {
    std::lock_guard lock(mutex_);
    if (usable && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE) {
      idle_.push_back(conn);
      conn = nullptr;
    } else {
      --open_;
    }
  }
  PQfinish(conn);  // a no-op for nullptr
  returned_.notify_one();
}

PgConnections::Lease::~Lease() {
  if (conn_ != nullptr) pool_->give_back(conn_, true);
}

void PgConnections::Lease::discard() {
  if (conn_ != nullptr) pool_->give_back(conn_, false);
  conn_ = nullptr;
}

void PgConnections::Lease::exec(const char* sql) {
  if (conn_ == nullptr) throw std::logic_error("PostgreSQL connection used after discard");
  check(PgResult(PQexec(conn_, sql)), PGRES_COMMAND_OK);  // PQexec: several statements allowed
}

PgResult PgConnections::Lease::exec_params(const char* sql, const std::vector<const char*>& params,
                                           int expect) {
  if (conn_ == nullptr) throw std::logic_error("PostgreSQL connection used after discard");
  return check(PgResult(PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr, params.data(),
                                     nullptr, nullptr, 0)),
               expect);
}

PgResult PgConnections::Lease::check(PgResult r, int expect) {
  if (r == nullptr || PQresultStatus(r.get()) != expect) {
    std::string m = r ? PQresultErrorMessage(r.get()) : trimmed_error(conn_);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    const bool lost = PQstatus(conn_) != CONNECTION_OK;
    // A failed statement inside a transaction block leaves it aborted; nobody should inherit that.
    if (lost || PQtransactionStatus(conn_) != PQTRANS_IDLE) discard();
    if (lost) throw PgConnectionLost("PostgreSQL connection lost: " + m);
    throw std::runtime_error("PostgreSQL: " + m);
  }
  return r;
}

}  // namespace dijk::inbox
