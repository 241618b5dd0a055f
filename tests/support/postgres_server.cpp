#include "tests/support/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace dijk::test {
namespace fs = std::filesystem;
namespace {

constexpr const char* kUser = "dijk";  // the superuser initdb makes; trusted on the socket

// Whom the server runs as: ourselves, or the package's `postgres` user when we are root.
struct RunAs {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  if (::geteuid() != 0) return {};
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("running as root and there is no postgres user");
  return {true, pw->pw_uid, pw->pw_gid};
}

// fork + exec of argv as `who`, stdout and stderr to `log`. The child drops root before exec.
pid_t start(const RunAs& who, const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (who.change && (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0))
      ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void chown_tree(const fs::path& dir, const RunAs& who) {
  if (!who.change) return;
  if (::chown(dir.c_str(), who.uid, who.gid) != 0) throw std::runtime_error("chown " + dir.string());
  for (const auto& e : fs::recursive_directory_iterator(dir)) ::chown(e.path().c_str(), who.uid, who.gid);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::optional<fs::path> PostgresServer::binaries() {
  const fs::path root = "/usr/lib/postgresql";
  std::error_code ec;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (fs::exists(e.path() / "bin" / "postgres") && fs::exists(e.path() / "bin" / "initdb"))
      found.push_back(e.path() / "bin");
  }
  if (found.empty()) return std::nullopt;
  std::sort(found.begin(), found.end());
  return found.back();  // the newest major version installed
}

PostgresServer::PostgresServer(bool durable) {
  const auto bin = binaries();
  if (!bin) throw std::runtime_error("PostgreSQL server binaries not installed (tools/setup)");
  bin_ = *bin;
  std::string tmpl = (fs::temp_directory_path() / "dijk-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  const RunAs who = run_as();
  fs::create_directories(dir_ / "data");
  fs::create_directories(dir_ / "socket");
  chown_tree(dir_, who);
  const fs::path log = dir_ / "server.log";
  pid_t init = start(who,
                     {(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", kUser, "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync"},
                     dir_ / "initdb.log");
  int status = 0;
  ::waitpid(init, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("initdb failed:\n" + read_all(dir_ / "initdb.log"));
  std::vector<std::string> argv{(bin_ / "postgres").string(), "-D", (dir_ / "data").string(), "-k",
                                (dir_ / "socket").string(),   "-c", "listen_addresses=",      "-c",
                                "max_connections=100"};
  if (!durable) {
    for (const char* o : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      argv.push_back("-c");
      argv.push_back(o);
    }
  }
  pid_ = start(who, argv, log);
  // Ready when a connection succeeds (PQping: no credentials needed).
  const std::string ping = "postgresql:///postgres?host=" + (dir_ / "socket").string() + "&user=" + kUser;
  for (int i = 0; i < 200; ++i) {
    if (PQping(ping.c_str()) == PQPING_OK) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string why = read_all(log);
  stop();
  throw std::runtime_error("PostgreSQL did not start:\n" + why);
}

PostgresServer::~PostgresServer() {
  stop();
}

void PostgresServer::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // "fast" shutdown: ends sessions, checkpoints, exits
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
  dir_.clear();
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + (dir_ / "socket").string() + "&user=" + kUser;
}

std::vector<std::string> PostgresServer::query(const std::string& database, const std::string& sql) {
  PGconn* c = PQconnectdb(url(database).c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    const std::string m = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("connect: " + m);
  }
  PGresult* r = PQexec(c, sql.c_str());
  const auto status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const std::string m = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    throw std::runtime_error("query '" + sql + "': " + m);
  }
  std::vector<std::string> rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::string row;
    for (int j = 0; j < PQnfields(r); ++j) {
      if (j) row += '\t';
      row += PQgetvalue(r, i, j);
    }
    rows.push_back(row);
  }
  PQclear(r);
  PQfinish(c);
  return rows;
}

std::string PostgresServer::create_database(const std::string& name) {
  query("postgres", "CREATE DATABASE \"" + name + "\"");
  return url(name);
}

}  // namespace dijk::test
