// The retro-hunt as a provider meets it: dijk-watch with a catalog over an upload spool, the appliance's
// set kept in sync from a feed that Debian's nginx serves over TLS. Files stored under one set version
// are reported, with source retrohunt, when the hotline publishes a version that lists them, and when
// that version went live while dijk-watch was down, at its next start.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "control/journal/journal_reader.h"
#include "tests/integration/feed/tls_feed_server.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string stored_content(int i) {
  return "stored upload " + std::to_string(i) + "\n" + std::string(static_cast<std::size_t>(1000 + i), 'q');
}

class RetroHuntWatch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TlsFeedServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    feed_dir = server_->root() + "/retro";
    fs::create_directories(spool);
    fs::create_directories(dir.path() / "state");
    expect_ok({DIJK_HOTLINE_BIN, "keygen", "--keys", dir.file("keys"), "--feed-name", "nl-retro"});
  }

  void TearDown() override {
    if (pid > 0) stop_process(pid, 5s);
  }

  static void expect_ok(const std::vector<std::string>& argv) {
    const auto r = run_command(argv);
    ASSERT_EQ(r.status, 0) << argv[1] << ": " << r.out << r.err;
  }

  // Publishes a version listing the MD5s of stored files `listed` (and one unrelated hash), then syncs
  // the appliance's set folder from the feed with dijk-control, as its timer does.
  void publish_and_sync(const std::vector<int>& listed, int version) {
    std::string list = std::string(32, 'e') + "\n";
    for (int i : listed) {
      write_text(dir.file("one"), stored_content(i));
      list += run_command({"/usr/bin/md5sum", dir.file("one")}).out.substr(0, 32) + "\n";
    }
    write_text(dir.file("list.txt"), list);
    const std::string set = dir.file("v" + std::to_string(version) + ".set");
    expect_ok({DIJK_HOTLINE_BIN, "import", "--name", "retro-list", "--set-version", std::to_string(version),
               "--out", set, dir.file("list.txt")});
    expect_ok({DIJK_HOTLINE_BIN, "publish", "--feed", feed_dir, "--keys", dir.file("keys"), "--set", set});
    expect_ok({DIJK_CONTROL_BIN, "sync-once", "--feed-url", server_->url("retro/"), "--feed", "nl-retro",
               "--root-key", dir.file("keys/root.pub"), "--ca", server_->ca_file(), "--set-dir",
               dir.file("sets")});
  }

  void write_config() {
    const auto quoted = [](const std::string& v) { return "\"" + v + "\""; };
    std::string toml = "appliance_id = \"retro-test\"\n[paths]\n";
    toml += "set = " + quoted(dir.file("sets/current.set")) + "\nstate = " + quoted(dir.file("state")) + "\n";
    toml += "journal = " + quoted(dir.file("journal-wire")) + "\n";
    toml += "[[reporting.journals]]\nname = \"watch\"\ndir = " + quoted(dir.file("journal-watch")) + "\n";
    toml += "[scan]\nsettle_ms = 100\ncheckpoint = " + quoted(dir.file("state/checkpoint")) + "\n";
    toml += "catalog = " + quoted(dir.file("catalog")) + "\n";
    toml += "[[scan.watch]]\npath = " + quoted(spool) + "\n";
    write_text(dir.file("dijk.toml"), toml + test_admin_toml(dir));
  }

  void start() {
    log = dir.file("watch" + std::to_string(++starts) + ".log");
    pid = spawn_with_output({DIJK_WATCH_BIN, "--config", dir.file("dijk.toml")}, log);
    for (int i = 0; i < 200 && read_or_empty(log + ".err").find("watching") == std::string::npos; ++i)
      std::this_thread::sleep_for(50ms);
    ASSERT_NE(read_or_empty(log + ".err").find("new set versions are hunted for"), std::string::npos)
        << read_or_empty(log + ".err");
  }

  static std::string read_or_empty(const std::string& path) {
    return fs::exists(path) ? read_text(path) : "";
  }

  // Hits in the journal: path -> sources seen.
  std::map<std::string, std::vector<HitSource>> journalled() {
    std::map<std::string, std::vector<HitSource>> out;
    if (!fs::exists(dir.path() / "journal-watch")) return out;
    journal::JournalReader reader(dir.file("journal-watch"));
    while (auto e = reader.next()) out[e->record.hit.path].push_back(e->record.hit.source);
    return out;
  }

  // The journal once it holds hits for `files` paths (or after 30 s, as it is then). A hit is logged
  // when the hunt hands it to the journal writer, which commits it a moment later on its own thread.
  std::map<std::string, std::vector<HitSource>> journalled_files(std::size_t files) {
    auto hits = journalled();
    for (int i = 0; i < 300 && hits.size() < files; ++i) {
      std::this_thread::sleep_for(100ms);
      hits = journalled();
    }
    return hits;
  }

  // Waits (bounded) until the log says `text`.
  bool log_says(const std::string& text, std::chrono::seconds limit = 60s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (read_or_empty(log + ".err").find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(100ms);
    }
    return true;
  }

  // Waits until the catalog holds `n` records (read-only beside the running daemon).
  bool catalogued(int n) {
    for (int i = 0; i < 300; ++i) {
      const auto r =
          run_command({DIJKCTL_BIN, "catalog", "verify", "--catalog-dir", dir.file("catalog"), "--json"});
      if (r.out.find("\"records\":" + std::to_string(n) + ",") != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  static TlsFeedServer* server_;
  TempDir dir;
  std::string spool = dir.file("spool");
  std::string feed_dir, log;
  pid_t pid = -1;
  int starts = 0;
};
TlsFeedServer* RetroHuntWatch::server_ = nullptr;

TEST_F(RetroHuntWatch, StoredFilesAreReportedWhenAVersionListsThemLiveOrAfterARestart) {
  publish_and_sync({}, 1);
  write_config();
  start();
  for (int i = 0; i < 30; ++i) write_text(spool + "/upload-" + std::to_string(i) + ".bin", stored_content(i));
  ASSERT_TRUE(catalogued(30));
  EXPECT_TRUE(journalled().empty());  // nothing listed yet

  // Version 2 lists two stored files: dijk-watch sees the new set go live and hunts for them.
  publish_and_sync({3, 17}, 2);
  ASSERT_TRUE(log_says("retro-hunt of set version 2")) << read_or_empty(log + ".err");
  auto hits = journalled_files(2);
  EXPECT_EQ(hits.size(), 2u);
  for (int i : {3, 17}) {
    const auto& sources = hits[spool + "/upload-" + std::to_string(i) + ".bin"];
    EXPECT_EQ(sources, std::vector<HitSource>{HitSource::retrohunt}) << i;
  }
  EXPECT_NE(read_or_empty(log + ".err").find("2 candidates, 2 read again, 2 hits"), std::string::npos)
      << read_or_empty(log + ".err");

  // Version 3 goes live while dijk-watch is down: its next start hunts from version 2 (previous.set).
  ASSERT_EQ(stop_process(pid, 20s), 0);
  publish_and_sync({3, 17, 25}, 3);
  start();
  ASSERT_TRUE(log_says("retro-hunt of set version 3")) << read_or_empty(log + ".err");
  hits = journalled_files(3);
  EXPECT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[spool + "/upload-25.bin"], std::vector<HitSource>{HitSource::retrohunt});
  EXPECT_EQ(hits[spool + "/upload-3.bin"].size(), 1u);  // not hunted again
}

}  // namespace
}  // namespace dijk::test
