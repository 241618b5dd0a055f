// A full disk under the journal: a small tmpfs mounted by the test (root only; skipped when mounting is
// not permitted). The writer raises the alarm, keeps every hit, and commits them all once there is room.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "control/journal/journal_reader.h"
#include "control/journal/journal_writer.h"
#include "tests/unit/journal/journal_test_dir.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk::journal {
namespace {

class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::filesystem::path& at) : at_(at) {
    std::filesystem::create_directories(at_);
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", at_.c_str(), "tmpfs", 0, "size=256k,mode=0700") == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path at_;
  bool mounted_ = false;
};

TEST(JournalDiskFull, AlarmIsRaisedNothingIsDroppedAndEverythingCommitsOnceThereIsRoom) {
  testing::TempDir tmp;
  SmallTmpfs fs(tmp.path() / "mnt");
  if (!fs.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here (needs root and CAP_SYS_ADMIN)";
  std::vector<std::string> logs;
  std::mutex logs_mutex;
  JournalOptions o;
  o.dir = tmp.path() / "mnt" / "journal";
  o.appliance_id = "appliance-1";
  o.retry_interval = std::chrono::milliseconds(20);
  o.log = [&](std::string_view m) {
    std::lock_guard lock(logs_mutex);
    logs.emplace_back(m);
  };
  JournalWriter w(o);
  auto& p = w.register_producer();
  ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(0))));
  // Fill the file system to the last byte.
  const auto filler = tmp.path() / "mnt" / "filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string block(4096, 'f');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  constexpr std::uint64_t kHits = 200;  // ~40 KB: far more than any partly used page can take
  std::uint64_t ticket = 0;
  for (std::uint64_t i = 1; i <= kHits; ++i) ticket = p.append(testing::wire_hit(i));
  for (int i = 0; i < 200 && !w.disk_full(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(w.disk_full());
  EXPECT_GT(w.stats().disk_full_events, 0u);
  EXPECT_LT(p.durable_ticket(), ticket);
  {
    std::lock_guard lock(logs_mutex);
    ASSERT_FALSE(logs.empty());
    EXPECT_NE(logs.front().find("ALARM: journal disk full"), std::string::npos) << logs.front();
  }
  // Room again: the writer retries and every hit it kept becomes durable, none dropped.
  std::filesystem::remove(filler);
  EXPECT_TRUE(p.wait_durable(ticket));
  EXPECT_FALSE(w.disk_full());
  {
    std::lock_guard lock(logs_mutex);
    EXPECT_NE(logs.back().find("alarm cleared"), std::string::npos) << logs.back();
  }
  w.close();
  JournalReader r(o.dir);
  std::uint64_t expected = 0;
  while (auto e = r.next()) EXPECT_EQ(testing::hit_number(e->record.hit), expected++);
  EXPECT_EQ(expected, kHits + 1);
}

}  // namespace
}  // namespace dijk::journal
