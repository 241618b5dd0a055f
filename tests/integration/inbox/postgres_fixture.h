#pragma once
// One private PostgreSQL server for a test suite, and a fresh database for each test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "tests/support/postgres_server.h"

namespace dijk::test {

class WithPostgres : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (PostgresServer::binaries()) server_ = std::make_unique<PostgresServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "PostgreSQL server not installed (tools/setup installs postgresql)";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    database_ = "t" + std::to_string(++databases_) + "_" + info->name();
    database_.resize(std::min<std::size_t>(database_.size(), 48));  // PostgreSQL cuts names at 63 bytes
    for (char& c : database_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    url_ = server_->create_database(database_);
  }
  std::vector<std::string> query(const std::string& sql) { return server_->query(database_, sql); }

  static inline std::unique_ptr<PostgresServer> server_;
  static inline int databases_ = 0;
  std::string database_, url_;
};

}  // namespace dijk::test
