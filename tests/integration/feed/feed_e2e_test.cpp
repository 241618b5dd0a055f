// The feed end to end: dijk-hotline publishes into a directory served by a private nginx over TLS on
// 127.0.0.1; an appliance syncs through libcurl with the test CA pinned and swaps the set into a holder that
// lookups go through. Every failure must leave the installed set serving, with its reason recorded.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "control/feed/files.h"
#include "control/feed/publisher.h"
#include "control/sync/syncer.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/setswap/set_holder.h"
#include "hashcore/util/hex.h"
#include "tests/integration/feed/tls_feed_server.h"
#include "tests/support/test_support.h"

namespace dijk {
namespace {
namespace fs = std::filesystem;
using feed::Failure;

const std::string kHotline = std::string(DIJK_BINARY_DIR) + "/apps/dijk-hotline/dijk-hotline";
const std::string kControl = std::string(DIJK_BINARY_DIR) + "/apps/dijk-control/dijk-control";

Digest hash_of(const std::string& name) {
  Digest d;
  d.algorithm = Algorithm::sha256;
  const auto s = feed::sha256(name);
  std::copy(s.begin(), s.end(), d.bytes.begin());
  return d;
}

std::string hex_of(const Digest& d) {
  return to_hex({d.bytes.data(), d.size()});
}

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One appliance: a set directory, the syncer, and the holder its lookups go through.
struct Appliance {
  Appliance(const std::string& set_dir, sync::SyncConfig config, sync::HttpsOptions https,
            sync::Syncer::Clock clock)
      : holder(nullptr), reader(holder.register_reader()) {
    config.set_dir = set_dir;
    syncer =
        std::make_unique<sync::Syncer>(config, std::make_unique<sync::HttpsFetcher>(https), std::move(clock));
    if (fs::exists(syncer->current_path())) holder.swap(HashSet::open(syncer->current_path()));
    watcher = std::make_unique<SetWatcher>(holder, syncer->current_path());
    // In-process, the sync tells the watcher at once; dijkd in another process polls with start().
    syncer->on_installed([this](const std::string&, std::uint64_t) { watcher->check_now(); });
  }
  sync::SyncStatus sync() { return syncer->sync_once(); }
  bool matches(const Digest& d) {
    auto live = reader.read();
    return live && live->exact(d.algorithm).find({d.bytes.data(), d.size()}) != ExactTable::kNotFound;
  }
  std::uint64_t live_version() {
    auto live = reader.read();
    return live ? live->version() : 0;
  }

  SetHolder holder;
  SetHolder::Reader reader;
  std::unique_ptr<sync::Syncer> syncer;
  std::unique_ptr<SetWatcher> watcher;
};

class FeedE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test::TlsFeedServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    feed_dir_ = server_->root() + "/" + name_;
    work_ = server_->work_dir() + "/" + name_;
    keys_ = work_ + "/keys";
    fs::create_directories(work_);
    feed::keygen({keys_, "nl-test", 86400});
  }

  // A set of `n` filler hashes plus the named ones.
  std::string make_set(const std::vector<std::string>& names, int n = 100) {
    SetBuilder b;
    const auto list = b.add_list("hotline-nl", "A1");
    for (int i = 0; i < n; ++i) b.add(hash_of("filler-" + std::to_string(i)), list);
    for (const auto& s : names) b.add(hash_of(s), list);
    const std::string path = work_ + "/set-" + std::to_string(++sets_) + ".set";
    b.write(path, 1);
    return path;
  }

  feed::PublishResult publish(const std::vector<std::string>& names, int n = 100, std::uint32_t keep = 8,
                              std::int64_t expires_in = 86400) {
    feed::PublishOptions o{feed_dir_, keys_, keep, expires_in, 0};
    return feed::publish_set(o, make_set(names, n));
  }

  sync::SyncConfig config() const {
    sync::SyncConfig c;
    c.feed_name = "nl-test";
    c.roots = {feed::load_public_key(keys_ + "/root.pub")};
    return c;
  }
  sync::HttpsOptions https() const {
    sync::HttpsOptions h;
    h.base_url = server_->url(name_ + "/");
    h.ca_file = server_->ca_file();
    h.total_timeout = std::chrono::seconds(20);
    return h;
  }
  std::unique_ptr<Appliance> appliance(const std::string& id = "a", sync::SyncConfig c = {},
                                       sync::HttpsOptions h = {}, sync::Syncer::Clock clock = {}) {
    if (c.feed_name.empty()) c = config();
    if (h.base_url.empty()) h = https();
    return std::make_unique<Appliance>(work_ + "/appliance-" + id, c, h, std::move(clock));
  }

  // An appliance with version 1 = {A, B} installed and matching.
  std::unique_ptr<Appliance> installed_v1() {
    publish({"A", "B"});
    auto a = appliance();
    const auto st = a->sync();
    EXPECT_EQ(st.last_failure, Failure::none) << st.last_error;
    EXPECT_EQ(a->live_version(), 1u);
    EXPECT_TRUE(a->matches(hash_of("A")));
    return a;
  }

  // The failure was recorded with its reason, and version 1 keeps serving.
  void expect_refused_and_serving_v1(Appliance& a, Failure why) {
    const auto st = a.sync();
    EXPECT_EQ(st.last_failure, why) << feed::failure_name(st.last_failure) << ": " << st.last_error;
    EXPECT_FALSE(st.last_error.empty());
    EXPECT_EQ(st.failures[static_cast<std::size_t>(why)], 1u);
    std::cerr << "refused as " << feed::failure_name(why) << ": " << st.last_error << "\n";
    EXPECT_EQ(st.installed_version, 1u);
    EXPECT_EQ(a.live_version(), 1u);
    EXPECT_TRUE(a.matches(hash_of("A")));
    EXPECT_EQ(HashSet::open(a.syncer->current_path())->version(), 1u);
    EXPECT_FALSE(fs::exists(fs::path(a.syncer->current_path()).parent_path() / "next.set"));
    const std::string status =
        feed::read_text_file(fs::path(a.syncer->current_path()).parent_path() / "sync-status", 1 << 16);
    EXPECT_NE(status.find("sync.last_failure " + std::string(feed::failure_name(why))), std::string::npos)
        << status;
  }

  void rewrite(const std::string& file, const std::function<void(std::string&)>& edit) {
    std::string text = feed::read_text_file(feed_dir_ + "/" + file, 1 << 30);
    edit(text);
    std::ofstream(feed_dir_ + "/" + file, std::ios::binary | std::ios::trunc) << text;
  }

  static test::TlsFeedServer* server_;
  std::string name_, feed_dir_, work_, keys_;
  int sets_ = 0;
};
test::TlsFeedServer* FeedE2E::server_ = nullptr;

TEST_F(FeedE2E, PublishSyncMatchThenRetractSyncNoMatchThenRollback) {
  auto a = installed_v1();
  EXPECT_EQ(a->syncer->status().last_method, "snapshot");
  EXPECT_FALSE(a->matches(hash_of("C")));

  // The hotline retracts A with the command line tool; the appliance drops it by delta.
  test::run_command(kHotline + " retract --feed " + feed_dir_ + " --keys " + keys_ +
                    " --reason 'stock photo' " + hex_of(hash_of("A")) + " 2>&1");
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "deltas 1");
  EXPECT_EQ(a->live_version(), 2u);
  EXPECT_FALSE(a->matches(hash_of("A")));
  EXPECT_TRUE(a->matches(hash_of("B")));
  EXPECT_TRUE(a->matches(hash_of("filler-7")));

  // A second sync finds nothing new and changes nothing.
  EXPECT_EQ(a->sync().last_method, "up to date");

  // The admin rolls back; the previous set serves again, and replays stay refused.
  test::run_command(kControl + " set-rollback --set-dir " + work_ + "/appliance-a 2>&1");
  EXPECT_TRUE(a->watcher->check_now());
  EXPECT_EQ(a->live_version(), 1u);
  EXPECT_TRUE(a->matches(hash_of("A")));
}

TEST_F(FeedE2E, SyncOnceCommandLine) {
  test::run_command(kHotline + " publish --feed " + feed_dir_ + " --keys " + keys_ + " --set " +
                    make_set({"A"}) + " 2>&1");
  const std::string out = test::run_command(kControl + " sync-once --feed-url " + server_->url(name_ + "/") +
                                            " --feed nl-test --root-key " + keys_ + "/root.pub --ca " +
                                            server_->ca_file() + " --set-dir " + work_ + "/cli 2>&1");
  EXPECT_NE(out.find("sync.installed_version 1"), std::string::npos) << out;
  EXPECT_NE(HashSet::open(work_ + "/cli/current.set")
                ->exact(Algorithm::sha256)
                .find({hash_of("A").bytes.data(), 32}),
            ExactTable::kNotFound);
}

TEST_F(FeedE2E, AlteredManifestIsRefused) {
  auto a = installed_v1();
  publish({"B"});
  rewrite("manifest", [](std::string& t) {
    const auto at = t.find("expires ") + 8;
    t[at] = t[at] == '9' ? '8' : static_cast<char>(t[at] + 1);
  });
  expect_refused_and_serving_v1(*a, Failure::bad_signature);
}

TEST_F(FeedE2E, FeedSignedUnderAnotherRootIsRefused) {
  auto a = installed_v1();
  const std::string other = work_ + "/other-keys";
  feed::keygen({other, "nl-test", 86400});
  feed::publish_set({feed_dir_, other, 8, 86400, 0}, make_set({"B"}));
  expect_refused_and_serving_v1(*a, Failure::untrusted_delegation);
}

TEST_F(FeedE2E, ReplayedOldManifestIsRefused) {
  auto a = installed_v1();
  const std::string v1 = feed::read_text_file(feed_dir_ + "/manifest", 1 << 16);
  publish({"A", "B", "C"});
  ASSERT_EQ(a->sync().last_failure, Failure::none);
  ASSERT_TRUE(a->matches(hash_of("C")));
  std::ofstream(feed_dir_ + "/manifest", std::ios::trunc) << v1;
  const auto st = a->sync();
  EXPECT_EQ(st.last_failure, Failure::rollback) << st.last_error;
  EXPECT_EQ(a->live_version(), 2u);
  EXPECT_TRUE(a->matches(hash_of("C")));
}

TEST_F(FeedE2E, ExpiredManifestIsRefused) {
  auto a = installed_v1();
  publish({"B"}, 100, 8, 60);
  // The appliance's clock is an hour ahead: the feed looks frozen.
  a->syncer = std::make_unique<sync::Syncer>(
      [&] {
        auto c = config();
        c.set_dir = work_ + "/appliance-a";
        return c;
      }(),
      std::make_unique<sync::HttpsFetcher>(https()), [] { return now() + 3600; });
  a->syncer->on_installed([&](const std::string&, std::uint64_t) { a->watcher->check_now(); });
  expect_refused_and_serving_v1(*a, Failure::expired);
}

// Signing under an expired delegation would replace a manifest appliances accept by one they all refuse
// (key_expired): publish refuses with exit 2 and writes nothing; after rotate-key it publishes again. A key
// with less than a week left, or one that expires before the manifest does, draws a warning.
TEST_F(FeedE2E, PublishRefusesAnExpiredDelegationAndWarnsAWeekAhead) {
  const auto publish_cli = [&](const std::string& keys, const std::string& expires_in) {
    return test::run_command(std::vector<std::string>{kHotline, "publish", "--feed", feed_dir_, "--keys",
                                                      keys, "--set", make_set({"A"}), "--expires-in",
                                                      expires_in});
  };
  const std::string expired = work_ + "/expired-keys";
  feed::keygen({expired, "nl-test", -60});  // a delegation whose not-after passed a minute ago
  auto r = publish_cli(expired, "86400");
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("expired"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rotate-key"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(feed_dir_ + "/manifest"));
  EXPECT_FALSE(fs::exists(feed_dir_ + "/snapshot-1.dfc"));

  test::run_command(kHotline + " rotate-key --keys " + expired + " 2>&1");
  r = publish_cli(expired, "86400");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;  // rotate-key's default: a year
  auto c = config();
  c.roots = {feed::load_public_key(expired + "/root.pub")};
  auto a = appliance("a", c);
  const auto st = a->sync();
  EXPECT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_TRUE(a->matches(hash_of("A")));

  // The fixture's keys are valid for a day: a warning, and the version is still published.
  r = publish_cli(keys_, "3600");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: the feed key's delegation expires at"), std::string::npos) << r.err;
  // Thirty days left: no warning for a day-long manifest, one for a 40-day manifest that outlives the key.
  const std::string month = work_ + "/month-keys";
  test::run_command(kHotline + " keygen --keys " + month + " --feed-name nl-test --valid-for " +
                    std::to_string(30 * 86400) + " 2>&1");
  fs::remove_all(feed_dir_);
  r = publish_cli(month, "86400");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = publish_cli(month, std::to_string(40 * 86400));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("before this manifest's own expiry"), std::string::npos) << r.err;
}

TEST_F(FeedE2E, TruncatedDeltaIsRefused) {
  auto a = installed_v1();
  publish({"B"});
  rewrite("delta-1-2.dfc", [](std::string& t) { t.resize(t.size() - 5); });
  expect_refused_and_serving_v1(*a, Failure::length_mismatch);
}

TEST_F(FeedE2E, AlteredDeltaIsRefused) {
  auto a = installed_v1();
  publish({"B"});
  rewrite("delta-1-2.dfc",
          [](std::string& t) { t[t.size() / 2] = static_cast<char>(t[t.size() / 2] ^ 0x40); });
  expect_refused_and_serving_v1(*a, Failure::hash_mismatch);
}

TEST_F(FeedE2E, DiskFullIsRefused) {
  // The set directory on a 96 KiB tmpfs: version 1 fits, version 2 (10,000 more hashes) does not.
  const std::string dir = work_ + "/appliance-a";
  fs::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=96k") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  struct Unmount {
    std::string d;
    ~Unmount() { ::umount2(d.c_str(), MNT_DETACH); }
  } unmount{dir};
  auto a = installed_v1();
  publish({"A", "B"}, 10'000);
  expect_refused_and_serving_v1(*a, Failure::disk);
}

TEST_F(FeedE2E, HttpErrorIsRefused) {
  auto a = installed_v1();
  fs::remove(feed_dir_ + "/manifest");
  expect_refused_and_serving_v1(*a, Failure::http);
}

TEST_F(FeedE2E, StalledServerTimesOut) {
  auto a = installed_v1();
  publish({"B"});
  auto h = https();
  h.base_url = server_->url("slow/" + name_ + "/");  // 20 bytes a second
  h.total_timeout = std::chrono::seconds(2);
  auto slow = std::make_unique<Appliance>(work_ + "/appliance-a", config(), h, sync::Syncer::Clock{});
  a.reset();
  expect_refused_and_serving_v1(*slow, Failure::timeout);
}

TEST_F(FeedE2E, ServerCertificateFromAnotherCaIsRefused) {
  auto a = installed_v1();
  publish({"B"});
  auto h = https();
  h.ca_file = server_->other_ca_file();
  auto pinned_elsewhere =
      std::make_unique<Appliance>(work_ + "/appliance-a", config(), h, sync::Syncer::Clock{});
  a.reset();
  expect_refused_and_serving_v1(*pinned_elsewhere, Failure::tls);
}

TEST_F(FeedE2E, FileOverItsCapIsRefusedBeforeDownload) {
  auto a = installed_v1();
  publish({"B"}, 2000);
  auto c = config();
  c.max_delta_bytes = 1000;
  c.max_snapshot_bytes = 1000;
  auto capped = std::make_unique<Appliance>(work_ + "/appliance-a", c, https(), sync::Syncer::Clock{});
  a.reset();
  expect_refused_and_serving_v1(*capped, Failure::too_large);
}

TEST_F(FeedE2E, KeyRotationAndTheOldKeyIsRefusedAfterwards) {
  auto a = installed_v1();
  const std::string old_delegation = feed::read_text_file(keys_ + "/delegation", 1 << 16);
  const auto old_key = feed::SigningKey::load_pem(keys_ + "/feed.key");

  test::run_command(kHotline + " rotate-key --keys " + keys_ + " 2>&1");
  publish({"A", "B", "C"});
  auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.key_serial, 2u);
  EXPECT_TRUE(a->matches(hash_of("C")));

  // Whoever kept the rotated-away key signs a newer version: refused, version 2 keeps serving.
  auto forged = feed::parse_manifest_file(feed::read_text_file(feed_dir_ + "/manifest", 1 << 16)).manifest;
  forged.version = 3;
  forged.key_serial = 1;
  std::ofstream(feed_dir_ + "/manifest", std::ios::trunc)
      << feed::assemble_manifest_file(old_delegation, forged, old_key);
  st = a->sync();
  EXPECT_EQ(st.last_failure, Failure::revoked_key) << st.last_error;
  EXPECT_EQ(a->live_version(), 2u);
  EXPECT_TRUE(a->matches(hash_of("C")));
}

TEST_F(FeedE2E, ApplianceSeveralVersionsBehindCatchesUpByDeltas) {
  auto a = installed_v1();
  publish({"A", "B", "C"});
  publish({"B", "C", "D"});
  publish({"B", "C", "D", "E"});
  publish({"C", "D", "E", "F"});
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "deltas 4");
  EXPECT_EQ(a->live_version(), 5u);
  for (const char* h : {"C", "D", "E", "F"}) EXPECT_TRUE(a->matches(hash_of(h))) << h;
  for (const char* h : {"A", "B"}) EXPECT_FALSE(a->matches(hash_of(h))) << h;
}

// A delta goes live as an overlay over the installed base (the base file is not rewritten), the merge
// folds it into a new base of the same version, and a rollback returns to the set before the delta.
TEST_F(FeedE2E, DeltaGoesLiveAsAnOverlayThenMergesAndRollsBack) {
  auto a = installed_v1();
  const fs::path dir = fs::path(a->syncer->current_path()).parent_path();
  const auto base_inode = HashSet::open(a->syncer->current_path())->identity().inode;
  publish({"B", "C", "D"});  // A removed, C and D added
  auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "deltas 1");
  EXPECT_TRUE(fs::exists(dir / "current.overlay"));
  EXPECT_EQ(st.base_version, 1u);
  EXPECT_EQ(st.overlay_entries, 3u);  // two additions, one tombstone
  {
    const auto live = HashSet::open(a->syncer->current_path());
    EXPECT_TRUE(live->layered());
    EXPECT_EQ(live->base_file().identity().inode, base_inode);  // the base stayed as it was
    EXPECT_EQ(live->exact(Algorithm::sha256).size(), 103u);
  }
  EXPECT_EQ(a->live_version(), 2u);
  for (const char* h : {"B", "C", "D"}) EXPECT_TRUE(a->matches(hash_of(h))) << h;
  EXPECT_FALSE(a->matches(hash_of("A")));
  const std::string status = feed::read_text_file(dir / "sync-status", 1 << 16);
  EXPECT_NE(status.find("sync.overlay_entries 3"), std::string::npos) << status;

  // A second delta updates the overlay, still over base version 1.
  publish({"B", "C", "E"});
  st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.base_version, 1u);
  EXPECT_EQ(a->live_version(), 3u);
  EXPECT_FALSE(a->matches(hash_of("D")));
  EXPECT_TRUE(a->matches(hash_of("E")));

  // The merge: one file again, same version, same hashes; the sync state still knows it as the feed's.
  EXPECT_EQ(a->syncer->merge_overlay().rfind("merged version 3", 0), 0u) << a->syncer->status().last_merge;
  EXPECT_FALSE(fs::exists(dir / "current.overlay"));
  EXPECT_FALSE(a->holder.current()->layered());  // the merge told the watcher (on_installed)
  {
    const auto live = HashSet::open(a->syncer->current_path());
    EXPECT_FALSE(live->layered());
    EXPECT_EQ(live->version(), 3u);
    EXPECT_EQ(live->exact(Algorithm::sha256).size(), 103u);
  }
  for (const char* h : {"B", "C", "E"}) EXPECT_TRUE(a->matches(hash_of(h))) << h;
  for (const char* h : {"A", "D"}) EXPECT_FALSE(a->matches(hash_of(h))) << h;
  EXPECT_EQ(a->syncer->merge_overlay(), "nothing to merge");
  st = a->sync();
  EXPECT_EQ(st.last_method, "up to date");
  EXPECT_EQ(st.last_note, "");

  // Rollback to version 2: base version 1 with its overlay, from previous.set and previous.overlay.
  test::run_command(kControl + " set-rollback --set-dir " + dir.string() + " 2>&1");
  EXPECT_TRUE(a->watcher->check_now());
  EXPECT_EQ(a->live_version(), 2u);
  EXPECT_TRUE(a->matches(hash_of("D")));
  EXPECT_FALSE(a->matches(hash_of("E")));
  EXPECT_FALSE(a->matches(hash_of("A")));
}

// With layering off, every delta rebuilds the base (the reference path of tools/bench/feed).
TEST_F(FeedE2E, WithoutLayeringADeltaRebuildsTheBase) {
  publish({"A", "B"});
  auto c = config();
  c.layered = false;
  auto a = appliance("a", c);
  ASSERT_EQ(a->sync().last_failure, Failure::none);
  publish({"B", "C"});
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_FALSE(fs::exists(fs::path(a->syncer->current_path()).parent_path() / "current.overlay"));
  EXPECT_FALSE(HashSet::open(a->syncer->current_path())->layered());
  EXPECT_TRUE(a->matches(hash_of("C")));
  EXPECT_FALSE(a->matches(hash_of("A")));
}

// run() merges in the background once the overlay reaches merge_at_entries.
TEST_F(FeedE2E, RunMergesALargeOverlayInTheBackground) {
  publish({"A", "B"});
  auto c = config();
  c.merge_at_entries = 2;
  auto a = appliance("a", c);
  ASSERT_EQ(a->sync().last_failure, Failure::none);
  std::thread runner([&] { a->syncer->run(std::chrono::seconds(3600)); });
  publish({"B", "C", "D"});
  a->syncer->request_sync();
  for (int i = 0; i < 2000 && a->syncer->status().merges == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  a->syncer->stop();
  runner.join();
  const auto st = a->syncer->status();
  EXPECT_EQ(st.merges, 1u) << st.last_merge;
  EXPECT_EQ(st.overlay_entries, 0u);
  EXPECT_EQ(st.base_version, 2u);
  const auto live = HashSet::open(a->syncer->current_path());
  EXPECT_FALSE(live->layered());
  EXPECT_EQ(live->version(), 2u);
  EXPECT_TRUE(a->matches(hash_of("D")));
}

// kill -9 at each step of a merge: a restarted appliance serves version 2 with the right hashes, the feed
// knows its set (up to date, no snapshot), and its next merge leaves one file again, no overlay and no
// merge.set beside it.
TEST_F(FeedE2E, MergeKilledAtAnyStepLeavesASetTheFeedKnows) {
  const std::vector<std::string> steps{"written", "verified", "recorded", "renamed", "overlay removed"};
  publish({"A", "B"});
  for (std::size_t i = 0; i < steps.size(); ++i)
    ASSERT_EQ(appliance("kill-" + std::to_string(i))->sync().last_failure, Failure::none);
  publish({"B", "C", "D"});
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("killed after: " + steps[i]);
    const auto dir = fs::path(work_) / ("appliance-kill-" + std::to_string(i));
    {
      const auto st = appliance("kill-" + std::to_string(i))->sync();
      ASSERT_EQ(st.last_method, "deltas 1") << st.last_error;
      ASSERT_TRUE(fs::exists(dir / "current.overlay"));
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto c = config();
      c.set_dir = dir.string();
      c.merge_pause_ratio = 0;
      c.merge_step = [&](std::string_view at) {
        if (at == steps[i]) ::raise(SIGKILL);
      };
      sync::Syncer merger(c, std::make_unique<sync::HttpsFetcher>(https()));
      merger.merge_overlay();
      ::_exit(0);  // the step was never reached: the parent fails
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

    // The daemon restarted: its set is version 2 with the delta applied, whichever file holds it.
    auto a = appliance("kill-" + std::to_string(i));
    EXPECT_EQ(a->live_version(), 2u);
    for (const char* h : {"B", "C", "D"}) EXPECT_TRUE(a->matches(hash_of(h))) << h;
    EXPECT_FALSE(a->matches(hash_of("A")));
    auto st = a->sync();
    EXPECT_EQ(st.last_failure, Failure::none) << st.last_error;
    EXPECT_EQ(st.last_method, "up to date");
    EXPECT_EQ(st.last_note, "");  // not replaced by a snapshot: the feed knows the set
    EXPECT_EQ(st.installed_version, 2u);

    // The next merge finishes the work (or has none left) and clears what the killed one left.
    const std::string what = a->syncer->merge_overlay();
    if (i < 3) {
      EXPECT_EQ(what.rfind("merged version 2", 0), 0u) << what;
    } else {
      EXPECT_EQ(what, "nothing to merge");
    }
    EXPECT_FALSE(fs::exists(dir / "current.overlay"));
    EXPECT_FALSE(fs::exists(dir / "merge.set"));
    const auto live = HashSet::open(a->syncer->current_path());
    EXPECT_FALSE(live->layered());
    EXPECT_EQ(live->version(), 2u);
    EXPECT_EQ(live->exact(Algorithm::sha256).size(), 103u);
    EXPECT_FALSE(a->holder.current()->layered());  // lookups go to the merged file
    for (const char* h : {"B", "C", "D"}) EXPECT_TRUE(a->matches(hash_of(h))) << h;
    st = a->sync();
    EXPECT_EQ(st.last_method, "up to date");
    EXPECT_EQ(st.last_note, "");
  }
}

TEST_F(FeedE2E, ApplianceTooFarBehindCatchesUpBySnapshot) {
  auto a = installed_v1();
  for (const auto& names :
       std::vector<std::vector<std::string>>{{"A", "C"}, {"C", "D"}, {"D", "E"}, {"E", "F"}}) {
    publish(names, 100, 2);  // the feed keeps deltas from the last 2 versions only
  }
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "snapshot");
  EXPECT_EQ(a->live_version(), 5u);
  EXPECT_TRUE(a->matches(hash_of("F")));
  EXPECT_FALSE(a->matches(hash_of("A")));
}

}  // namespace
}  // namespace dijk

namespace dijk {
namespace {

// The daemon as systemd runs it: the appliance's TOML config, a sync at start, another at once on SIGUSR1
// (what `dijkctl sync now` asked before the admin socket), a clean exit on SIGTERM.
TEST_F(FeedE2E, DaemonSyncsAtStartAndOnSyncNow) {
  publish({"A"});
  const std::string set_dir = work_ + "/daemon";
  const std::string config = work_ + "/dijk.toml";
  std::ofstream(config) << "[paths]\nset = \"" << set_dir << "/current.set\"\njournal = \"" << work_
                        << "/journal\"\nstate = \"" << work_ << "/state\"\n"
                        << "[feed]\nname = \"nl-test\"\nurl = \"" << server_->url(name_ + "/") << "\"\n"
                        << "root_key = \"" << keys_ << "/root.pub\"\nca = \"" << server_->ca_file() << "\"\n"
                        << "interval_s = 3600\n"
                        << "[admin]\nsocket = \"" << work_ << "/dijkd.sock\"\ncontrol_socket = \"" << work_
                        << "/control.sock\"\ngroup = \"root\"\n[metrics]\nenabled = false\n";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(kControl.c_str(), kControl.c_str(), "run", "--config", config.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto version_of = [&] {
    try {
      return HashSet::open(set_dir + "/current.set")->version();
    } catch (const std::exception&) {
      return std::uint64_t{0};
    }
  };
  auto wait_for = [&](std::uint64_t v) {
    for (int i = 0; i < 200 && version_of() != v; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return version_of();
  };
  EXPECT_EQ(wait_for(1), 1u);
  publish({"B"});
  ::kill(pid, SIGUSR1);  // the interval is an hour: only `sync now` can bring version 2 this soon
  EXPECT_EQ(wait_for(2), 2u);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string text = feed::read_text_file(set_dir + "/sync-status", 1 << 16);
  EXPECT_NE(text.find("sync.installed_version 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace dijk

namespace dijk {
namespace {

// A set with a PDQ index (imported by dijk-hotline) keeps its index through the feed: installed by
// snapshot, and still there, byte for byte, after a retraction arrives by delta.
TEST_F(FeedE2E, PdqIndexTravelsThroughSnapshotAndDelta) {
  std::ofstream(work_ + "/list.pdq") << hex_of(hash_of("pdq-1")) << "\n" << hex_of(hash_of("pdq-2")) << "\n";
  std::ofstream(work_ + "/list.txt") << hex_of(hash_of("A")) << "\n" << hex_of(hash_of("B")) << "\n";
  test::run_command(kHotline + " import --name pdq --out " + work_ + "/p.set " + work_ + "/list.pdq 2>&1");
  test::run_command(kHotline + " import --name nl --base " + work_ + "/p.set --out " + work_ + "/full.set " +
                    work_ + "/list.txt 2>&1");
  const auto published = HashSet::open(work_ + "/full.set");
  const auto pdq = published->section(setfile::SectionKind::pdq_hashes);
  ASSERT_TRUE(pdq.has_value());
  const std::vector<std::uint8_t> pdq_bytes(pdq->begin(), pdq->end());
  test::run_command(kHotline + " publish --feed " + feed_dir_ + " --keys " + keys_ + " --set " + work_ +
                    "/full.set 2>&1");

  auto a = appliance();
  ASSERT_EQ(a->sync().last_failure, Failure::none);
  auto installed = HashSet::open(a->syncer->current_path());
  ASSERT_TRUE(installed->section(setfile::SectionKind::pdq_hashes).has_value());
  EXPECT_TRUE(std::ranges::equal(*installed->section(setfile::SectionKind::pdq_hashes), pdq_bytes));

  test::run_command(kHotline + " retract --feed " + feed_dir_ + " --keys " + keys_ + " --reason test " +
                    hex_of(hash_of("A")) + " 2>&1");
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "deltas 1");
  EXPECT_FALSE(a->matches(hash_of("A")));
  installed = HashSet::open(a->syncer->current_path());
  ASSERT_TRUE(installed->section(setfile::SectionKind::pdq_hashes).has_value());
  EXPECT_TRUE(std::ranges::equal(*installed->section(setfile::SectionKind::pdq_hashes), pdq_bytes));
}

}  // namespace
}  // namespace dijk

namespace dijk {
namespace {

// A damaged installed set is repaired even when the feed has nothing newer: the sync checks it in full,
// counts it as none and installs the snapshot of the same version (dijkd would refuse it at its next start).
TEST_F(FeedE2E, DamagedSetIsRepairedWithNothingNewOnTheFeed) {
  auto a = installed_v1();
  const std::string current = a->syncer->current_path();
  {
    std::fstream f(current, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    const char last = static_cast<char>(f.get());
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(last ^ 0x01));
  }
  ASSERT_THROW(HashSet::open(current, SetVerification::full), SetFileError);
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "snapshot");
  EXPECT_NE(st.last_note.find("installed set version 1 fails verification"), std::string::npos)
      << st.last_note;
  EXPECT_EQ(HashSet::open(current, SetVerification::full)->version(), 1u);
  EXPECT_EQ(a->sync().last_method, "up to date");
}

// The accepted version is the feed's memory, not the installed file's: with current.set deleted, the next
// sync installs the accepted version again instead of calling a missing set up to date.
TEST_F(FeedE2E, DeletedSetIsReinstalled) {
  auto a = installed_v1();
  fs::remove(a->syncer->current_path());
  const auto st = a->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.last_method, "snapshot");
  EXPECT_EQ(st.installed_version, 1u);
  EXPECT_EQ(HashSet::open(a->syncer->current_path())->version(), 1u);
}

// A feed under another root key (re-pinned) starts with its own memory: its version 1 replaces the old
// feed's version 2, which a replay check keyed to the installed file would refuse as a rollback.
TEST_F(FeedE2E, RepinnedRootStartsAfresh) {
  auto a = installed_v1();
  publish({"A", "B", "C"});
  ASSERT_EQ(a->sync().installed_version, 2u);
  const std::string other = work_ + "/other-keys";
  feed::keygen({other, "nl-test", 86400});
  feed_dir_ = server_->root() + "/" + name_ + "-other";
  feed::publish_set({feed_dir_, other, 8, 86400, 0}, make_set({"D"}));
  auto c = config();
  c.roots = {feed::load_public_key(other + "/root.pub")};
  auto h = https();
  h.base_url = server_->url(name_ + "-other/");
  auto repinned = std::make_unique<Appliance>(work_ + "/appliance-a", c, h, sync::Syncer::Clock{});
  a.reset();
  const auto st = repinned->sync();
  ASSERT_EQ(st.last_failure, Failure::none) << st.last_error;
  EXPECT_EQ(st.installed_version, 1u);
  EXPECT_EQ(st.accepted_version, 1u);
  EXPECT_NE(st.last_note.find("under another root key"), std::string::npos) << st.last_note;
  EXPECT_TRUE(repinned->matches(hash_of("D")));
}

}  // namespace
}  // namespace dijk
