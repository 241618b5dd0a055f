#pragma once
// A private PostgreSQL server from Debian's package (postgresql-15 or whichever is installed), for tests
// and benchmarks, as TlsFeedServer starts a private nginx: initdb into a temporary folder, the server
// listening only on a Unix socket in that folder, stopped and removed at the end. PostgreSQL refuses to
// run as root, so under root the server runs as the `postgres` user the package creates.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dijk::test {

class PostgresServer {
 public:
  // The folder with initdb and postgres, or nothing when the server is not installed (tests skip then).
  static std::optional<std::filesystem::path> binaries();

  // durable = false turns fsync off (tests: faster, and nothing they check survives a power cut anyway);
  // benchmarks keep PostgreSQL's defaults. Throws when the server does not come up.
  explicit PostgresServer(bool durable = false);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates an empty database and returns its postgresql:// URL.
  std::string create_database(const std::string& name);
  // Runs SQL on a database (psql-like, for setup and checks); returns the rows, columns tab-separated.
  std::vector<std::string> query(const std::string& database, const std::string& sql);
  std::string url(const std::string& database) const;
  const std::filesystem::path& work_dir() const { return dir_; }

 private:
  void stop();  // the server, then its folder
  std::filesystem::path dir_;
  std::filesystem::path bin_;
  pid_t pid_ = -1;
};

}  // namespace dijk::test
