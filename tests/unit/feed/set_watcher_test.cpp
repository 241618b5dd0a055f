// The watcher dijkd uses to pick up a set file renamed into place by another process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hashcore/set/set_builder.h"
#include "hashcore/setswap/set_holder.h"

namespace dijk {
namespace {

Digest digest_of(std::uint8_t seed) {
  Digest d;
  d.algorithm = Algorithm::md5;
  for (std::size_t i = 0; i < d.size(); ++i) d.bytes[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return d;
}

void write_set(const std::string& path, std::uint64_t version, std::uint8_t seed) {
  SetBuilder b;
  b.add(digest_of(seed), b.add_list("l", "c"));
  b.write(path, version);
}

bool has(SetHolder::Reader& r, const Digest& d) {
  auto live = r.read();
  return live && live->exact(d.algorithm).find({d.bytes.data(), d.size()}) != ExactTable::kNotFound;
}

TEST(SetWatcher, SwapsInARenamedSetAndIgnoresADamagedOne) {
  const std::string dir = ::testing::TempDir() + "/dijk-watch-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/current.set";
  write_set(path, 1, 1);
  SetHolder holder(HashSet::open(path));
  auto reader = holder.register_reader();
  std::uint64_t swapped_to = 0;
  SetWatcher watcher(holder, path, [&](const HashSet& s) { swapped_to = s.version(); });
  EXPECT_FALSE(watcher.check_now());  // unchanged file: nothing to do

  write_set(path, 2, 2);
  EXPECT_TRUE(watcher.check_now());
  EXPECT_EQ(swapped_to, 2u);
  EXPECT_TRUE(has(reader, digest_of(2)));
  EXPECT_FALSE(has(reader, digest_of(1)));

  // A damaged file renamed in: counted, ignored, version 2 keeps serving.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 1);
  std::ofstream(dir + "/bad.tmp", std::ios::binary) << bytes;
  std::filesystem::rename(dir + "/bad.tmp", path);
  EXPECT_FALSE(watcher.check_now());
  EXPECT_EQ(watcher.status().failures, 1u);
  EXPECT_EQ(watcher.status().version, 2u);
  EXPECT_TRUE(has(reader, digest_of(2)));

  // The polling thread picks up the next good file by itself.
  watcher.start(std::chrono::milliseconds(10));
  write_set(path, 3, 3);
  for (int i = 0; i < 300 && watcher.status().version != 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  watcher.stop();
  EXPECT_EQ(watcher.status().version, 3u);
  EXPECT_TRUE(has(reader, digest_of(3)));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dijk
