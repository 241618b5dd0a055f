// dijk-watch as a provider runs it over an upload spool: every way files arrive (copy, rename in, temp then
// rename, truncate and rewrite, a slow writer, new directories), a kernel event queue forced to overflow,
// and a restart. The hits are read back from the journal the reporter delivers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/journal/journal_reader.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

using namespace std::chrono_literals;

// Contents are unique per name; a "listed" one has its MD5 in the set.
std::string content(const std::string& name) {
  return "dijk-watch test file " + name + "\n" + std::string(3000, static_cast<char>('a' + name.size() % 26));
}

// Each test runs with each backend: fanotify (a filesystem mark) and inotify (a watch a directory).
class WatchDaemon : public ::testing::TestWithParam<std::string> {
 protected:
  // The set lists the content of each name in `listed`.
  void make_set(const std::vector<std::string>& listed) {
    std::string list;
    for (const auto& n : listed) {
      write_text(dir.file("one"), content(n));
      const auto r = run_command({"/usr/bin/md5sum", dir.file("one")});
      list += r.out.substr(0, 32) + "\n";
    }
    write_text(dir.file("list.txt"), list);
    const auto r = run_command({DIJK_HOTLINE_BIN, "import", "--name", "spool-test", "--out",
                                dir.file("t.set"), dir.file("list.txt")});
    ASSERT_EQ(r.status, 0) << r.err;
  }

  void write_config() {
    std::filesystem::create_directories(spool);
    std::filesystem::create_directories(dir.path() / "state");
    const auto quoted = [](const std::string& v) { return "\"" + v + "\""; };
    std::string toml = "appliance_id = \"watch-test\"\n[paths]\n";
    toml += "set = " + quoted(dir.file("t.set")) + "\nstate = " + quoted(dir.file("state")) + "\n";
    toml += "journal = " + quoted(dir.file("journal-wire")) + "\n";
    toml += "[[reporting.journals]]\nname = \"watch\"\ndir = " + quoted(dir.file("journal-watch")) + "\n";
    toml += "[scan]\nsettle_ms = 300\nbackend = " + quoted(GetParam()) + "\n";
    toml += "checkpoint = " + quoted(dir.file("state/checkpoint")) + "\n";
    toml += "[[scan.watch]]\npath = " + quoted(spool) + "\nexclude = [\"*.part\"]\n";
    write_text(dir.file("dijk.toml"), toml + test_admin_toml(dir));
  }

  void start() {
    ++starts;
    log = dir.file("watch" + std::to_string(starts) + ".log");
    pid = spawn_with_output({DIJK_WATCH_BIN, "--config", dir.file("dijk.toml")}, log);
    // Ready once it says what it watches (the watches exist from then on).
    for (int i = 0; i < 200 && read_text_or_empty(log + ".err").find("watching") == std::string::npos; ++i)
      std::this_thread::sleep_for(50ms);
    ASSERT_NE(read_text_or_empty(log + ".err").find("with " + GetParam()), std::string::npos)
        << read_text_or_empty(log + ".err");
  }

  void stop() {
    if (pid > 0) {
      EXPECT_EQ(stop_process(pid, 20s), 0);
    }
  }

  void TearDown() override {
    if (pid > 0) stop_process(pid, 5s);
  }

  static std::string read_text_or_empty(const std::string& path) {
    return std::filesystem::exists(path) ? read_text(path) : std::string();
  }

  // Every journalled hit's path and how often it was journalled.
  std::map<std::string, int> journalled() {
    std::map<std::string, int> out;
    if (!std::filesystem::exists(dir.path() / "journal-watch")) return out;
    journal::JournalReader reader(dir.file("journal-watch"));
    while (auto e = reader.next()) ++out[e->record.hit.path];
    return out;
  }

  // Waits (bounded) until the journal holds at least `paths`; returns what it holds then.
  std::map<std::string, int> wait_for(const std::vector<std::string>& paths,
                                      std::chrono::seconds limit = 60s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto j = journalled();
      bool all = true;
      for (const auto& p : paths) all = all && j.contains(p);
      if (all || std::chrono::steady_clock::now() > until) return j;
      std::this_thread::sleep_for(100ms);
    }
  }

  void write_file(const std::string& path, const std::string& text) { write_text(path, text); }

  TempDir dir;
  std::string spool = dir.file("spool");
  std::string log;
  pid_t pid = -1;
  int starts = 0;
};

TEST_P(WatchDaemon, EveryWayAFileArrivesIsCheckedOnceUnderItsFinalName) {
  make_set({"copied", "moved", "renamed", "rewritten", "nested", "slow", "excluded"});
  write_config();
  start();
  // cp: written in place.
  write_file(spool + "/copied.jpg", content("copied"));
  // mv into the tree from outside it.
  write_file(dir.file("moved.src"), content("moved"));
  std::filesystem::rename(dir.file("moved.src"), spool + "/moved.jpg");
  // rsync style: a hidden temp name, then a rename onto the final one.
  write_file(spool + "/.renamed.jpg.Xa81f", content("renamed"));
  std::filesystem::rename(spool + "/.renamed.jpg.Xa81f", spool + "/renamed.jpg");
  // A new directory tree written into at once.
  std::filesystem::create_directories(spool + "/2026/12/06");
  write_file(spool + "/2026/12/06/nested.png", content("nested"));
  // Excluded by the tree's glob, and not listed at all: neither is reported.
  write_file(spool + "/upload.part", content("excluded"));
  write_file(spool + "/clean.jpg", content("nobody listed this"));
  // Truncate and rewrite: first an unlisted file, read; then the same name rewritten with listed bytes.
  write_file(spool + "/rewritten.jpg", content("first version"));
  std::this_thread::sleep_for(1s);
  write_file(spool + "/rewritten.jpg", content("rewritten"));
  // A slow writer: the file is open for 10 s and complete only at the end.
  {
    const std::string slow = content("slow");
    const int fd = ::open((spool + "/slow.jpg").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    for (std::size_t i = 0; i < 10; ++i) {
      const std::size_t from = slow.size() * i / 10, to = slow.size() * (i + 1) / 10;
      ASSERT_EQ(::write(fd, slow.data() + from, to - from), static_cast<ssize_t>(to - from));
      std::this_thread::sleep_for(1s);
    }
    ::close(fd);
  }
  const std::vector<std::string> want{spool + "/copied.jpg",    spool + "/moved.jpg",
                                      spool + "/renamed.jpg",   spool + "/2026/12/06/nested.png",
                                      spool + "/rewritten.jpg", spool + "/slow.jpg"};
  wait_for(want);
  std::this_thread::sleep_for(1s);  // anything reported twice would be in by now
  stop();
  std::map<std::string, int> expected;
  for (const auto& p : want) expected[p] = 1;
  EXPECT_EQ(journalled(), expected) << read_text_or_empty(log + ".err");
}

TEST_P(WatchDaemon, AnOverflowingEventQueueLosesNoListedFile) {
  // 100,000 files written while the daemon is stopped (SIGSTOP): far past the kernel's queue of 16,384
  // events, so the kernel drops events and says so; the tree is walked again and every listed file found.
  std::vector<std::string> listed;
  // With fanotify each write into a full queue costs the writer far more kernel time (its mark covers
  // the whole file system), so that run writes 30,000: still past the 16,384 events the queue holds.
  const int files = GetParam() == "fanotify" ? 30'000 : 100'000;
  for (int i = 0; i < files; i += 9'973) listed.push_back("many-" + std::to_string(i));
  make_set(listed);
  write_config();
  start();
  // The directories first, watched before the stop: files written into them queue one event each.
  for (int d = 0; d < 10; ++d) std::filesystem::create_directories(spool + "/d" + std::to_string(d));
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  std::vector<std::string> want;
  for (int i = 0; i < files; ++i) {
    const std::string name = "many-" + std::to_string(i);
    const std::string path = spool + "/d" + std::to_string(i % 10) + "/" + name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    const std::string text = i % 9'973 == 0 ? content(name) : "small " + name;
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    if (i % 9'973 == 0) want.push_back(path);
  }
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  const auto j = wait_for(want, 120s);
  for (const auto& p : want) EXPECT_TRUE(j.contains(p)) << p;
  stop();
  EXPECT_NE(read_text_or_empty(log + ".err").find("queue overflows"), std::string::npos);
  EXPECT_EQ(read_text_or_empty(log + ".err").find(" 0 queue overflows"), std::string::npos)
      << "the queue was meant to overflow: " << read_text_or_empty(log + ".err");
}

TEST_P(WatchDaemon, WhatIsWrittenWhileItIsDownIsCheckedAtTheNextStart) {
  make_set({"before", "while-down"});
  write_config();
  start();
  write_file(spool + "/before.jpg", content("before"));
  wait_for({spool + "/before.jpg"});
  stop();
  write_file(spool + "/while-down.jpg", content("while-down"));
  start();
  wait_for({spool + "/while-down.jpg"});
  stop();
  // Each once: the file checked before the stop is older than the checkpoint and not read again.
  EXPECT_EQ(journalled(),
            (std::map<std::string, int>{{spool + "/before.jpg", 1}, {spool + "/while-down.jpg", 1}}))
      << read_text_or_empty(log + ".err");
  EXPECT_NE(read_text_or_empty(log + ".err").find("caught up: 1 files"), std::string::npos)
      << read_text_or_empty(log + ".err");
}

// An operator asks the running daemon, as for dijkd and dijk-control: `dijkctl status` lists it among the
// daemons of the config, `dijkctl stats` gives its counters, and Prometheus scrapes the same.
TEST_P(WatchDaemon, AnswersStatusStatsAndMetrics) {
  make_set({"listed.jpg"});
  write_config();
  start();
  write_file(spool + "/listed.jpg", content("listed.jpg"));
  write_file(spool + "/other.jpg", content("other.jpg"));
  ASSERT_EQ(wait_for({spool + "/listed.jpg"}).size(), 1u) << read_text_or_empty(log + ".err");

  // The config names dijkd and dijk-control too, which do not run here: exit 3 for them, and dijk-watch's
  // own entry says what it watches and what it found.
  const auto all = run_command({DIJKCTL_BIN, "status", "--json", "--config", dir.file("dijk.toml")});
  EXPECT_EQ(all.status, 3) << all.out << all.err;
  const auto parsed = nlohmann::json::parse(all.out);
  const auto entry = std::find_if(parsed.begin(), parsed.end(), [](const nlohmann::json& e) {
    return e.value("daemon", "") == "dijk-watch";
  });
  ASSERT_NE(entry, parsed.end()) << all.out;
  const auto& w = (*entry)["watch"];
  EXPECT_EQ(w["trees"], 1);
  EXPECT_EQ(w["hits"], 1);
  EXPECT_GE(w["files_checked"].get<int>(), 2);
  EXPECT_NE(w["backend"].get<std::string>().find(GetParam()), std::string::npos);
  EXPECT_EQ((*entry)["set"]["entries"], 1);
  EXPECT_TRUE((*entry)["problems"].empty()) << entry->dump();

  const auto human = run_command({DIJKCTL_BIN, "status", "--socket", dir.file("watch.sock")});
  EXPECT_EQ(human.status, 0) << human.out << human.err;
  EXPECT_NE(human.out.find("dijk-watch"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("1 hits"), std::string::npos) << human.out;

  const auto stats = run_command({DIJKCTL_BIN, "stats", "--socket", dir.file("watch.sock")});
  EXPECT_EQ(stats.status, 0) << stats.err;
  EXPECT_NE(stats.out.find("dijk_watch_hits_total"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("dijk_watch_queue_overflows_total"), std::string::npos) << stats.out;

  // The exporter's port is in the ready line.
  const std::string err = read_text_or_empty(log + ".err");
  const auto at = err.find("metrics on port ");
  ASSERT_NE(at, std::string::npos) << err;
  const int port = std::stoi(err.substr(at + 16));
  const auto scraped =
      run_command({"/usr/bin/curl", "-sS", "http://127.0.0.1:" + std::to_string(port) + "/metrics"}).out;
  EXPECT_NE(scraped.find("dijk_watch_hits_total 1"), std::string::npos) << scraped;
  stop();
}

TEST_P(WatchDaemon, IdlesWithoutTreesAndRefusesTreesWithoutTheirJournal) {
  make_set({"x"});
  // A fresh appliance: no tree configured. It idles (a failed unit would count against the appliance's
  // health) until stopped, and says why.
  write_text(dir.file("empty.toml"), "[paths]\nset = \"" + dir.file("t.set") + "\"\n" + test_admin_toml(dir));
  pid = spawn_with_output({DIJK_WATCH_BIN, "--config", dir.file("empty.toml")}, dir.file("idle.log"));
  for (int i = 0; i < 100 && read_text_or_empty(dir.file("idle.log.err")).find("idle") == std::string::npos;
       ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_NE(read_text_or_empty(dir.file("idle.log.err")).find("idle: no [[scan.watch]] tree"),
            std::string::npos);
  // Idle is healthy: dijkctl says so, with no problem and no set asked for.
  for (int i = 0; i < 100 && !std::filesystem::exists(dir.file("watch.sock")); ++i)
    std::this_thread::sleep_for(50ms);
  const auto idle = run_command({DIJKCTL_BIN, "status", "--socket", dir.file("watch.sock")});
  EXPECT_EQ(idle.status, 0) << idle.out << idle.err;
  EXPECT_NE(idle.out.find("watching  0 trees with idle: no [[scan.watch]] tree"), std::string::npos)
      << idle.out;
  EXPECT_EQ(stop_process(pid, 10s), 0);
  // A tree, but no journal for its hits: refused, saying what to add.
  std::filesystem::create_directories(spool);
  write_text(dir.file("nojournal.toml"),
             "[paths]\nset = \"" + dir.file("t.set") + "\"\n[[scan.watch]]\npath = \"" + spool + "\"\n");
  const auto r = run_command({DIJK_WATCH_BIN, "--config", dir.file("nojournal.toml")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("names no [[reporting.journals]] entry"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, WatchDaemon, ::testing::Values("fanotify", "inotify"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace dijk::test
