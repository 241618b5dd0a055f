// Two daemons share one O_APPEND stderr file and log from several threads each. Every line must arrive
// whole: a test (or an operator's grep) looking for one line must find it.
#include "core/log_line.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 4;
constexpr int kLinesEach = 500;

// A child with stderr on `file` (O_APPEND, as journald's file and our tests open it) writes lines from
// kThreads threads; returns once it has exited.
void log_from_child(const std::filesystem::path& file, const std::string& program) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t, &program] {
        for (int i = 0; i < kLinesEach; ++i) {
          dijk::log_line(
              program, "config: line " + std::to_string(t) + "/" + std::to_string(i) + std::string(40, 'x'));
        }
      });
    }
    for (auto& th : threads) th.join();
    _exit(0);
  }
}

TEST(LogLine, TwoProcessesOnOneAppendFileNeverSplitALine) {
  char tmpl[] = "/tmp/log-line-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path file = std::filesystem::path(tmpl) / "daemon.err";
  log_from_child(file, "dijkd");
  log_from_child(file, "dijk-control");
  int status = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_GT(wait(&status), 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::ifstream in(file);
  std::string line;
  std::set<std::string> seen;
  const std::string tail(40, 'x');
  while (std::getline(in, line)) {
    const bool whole =
        (line.starts_with("dijkd: config: line ") || line.starts_with("dijk-control: config: line ")) &&
        line.ends_with(tail);
    EXPECT_TRUE(whole) << "split line: " << line;
    seen.insert(line);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(2 * kThreads * kLinesEach));
  std::filesystem::remove_all(tmpl);
}

}  // namespace
