// SpoolWatcher over a real inotify (and fanotify, where this process may use it): what it hands out.
#include "dataplane/filewatch/spool_watcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "tests/support/test_support.h"

namespace dijk::watch {
namespace {

using namespace std::chrono_literals;

// Every path handed out within `window`, with how often.
std::map<std::string, int> collect(SpoolWatcher& w, std::chrono::milliseconds window) {
  std::map<std::string, int> out;
  const auto until = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& batch : w.next(100ms))
      for (const auto& p : batch.paths) ++out[p];
  }
  return out;
}

class SpoolWatcherTest : public ::testing::TestWithParam<WatchBackend> {};

// A new directory, and a file closed in it a little later: the directory's walk reads the file, and the
// file's own event must not have it read again. Before, the directory settled first and went out alone,
// then the file went out in a batch of its own (dijk-watch reported its hit twice, now and then).
TEST_P(SpoolWatcherTest, ANewDirectoryAndTheFileWrittenIntoItGoOutOnce) {
  test::TempDir dir;
  const std::string root = dir.file("spool");
  std::filesystem::create_directories(root);
  std::unique_ptr<SpoolWatcher> w;
  try {
    w = std::make_unique<SpoolWatcher>(std::vector<std::string>{root}, 1000ms, GetParam());
  } catch (const std::exception& e) {
    GTEST_SKIP() << e.what();
  }
  std::filesystem::create_directories(root + "/2026/12");
  w->next(0ms);  // the directory's event is read now; its settle time starts
  std::this_thread::sleep_for(300ms);
  std::ofstream(root + "/2026/12/upload.jpg") << "bytes";
  const auto out = collect(*w, 3000ms);
  std::map<std::string, int> want;
  // inotify names the new directory (walked whole); fanotify (a filesystem mark) names the file only.
  if (out.contains(root + "/2026")) {
    want[root + "/2026"] = 1;
  } else {
    want[root + "/2026/12/upload.jpg"] = 1;
  }
  EXPECT_EQ(out, want);
  EXPECT_TRUE(w->idle());
}

INSTANTIATE_TEST_SUITE_P(Backends, SpoolWatcherTest,
                         ::testing::Values(WatchBackend::inotify, WatchBackend::fanotify),
                         [](const auto& p) {
                           return std::string(p.param == WatchBackend::inotify ? "inotify" : "fanotify");
                         });

}  // namespace
}  // namespace dijk::watch
