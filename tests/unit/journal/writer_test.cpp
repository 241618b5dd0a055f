#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "control/journal/ack_state.h"
#include "control/journal/journal_reader.h"
#include "control/journal/journal_writer.h"
#include "control/journal/record.h"
#include "control/journal/segment_files.h"
#include "tests/unit/journal/journal_test_dir.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk::journal {
namespace {

using testing::TempDir;

JournalOptions options_for(const std::filesystem::path& dir, std::vector<std::string>* logs = nullptr) {
  JournalOptions o;
  o.dir = dir;
  o.appliance_id = "appliance-1";
  o.max_commit_latency = std::chrono::milliseconds(2);
  if (logs)
    o.log = [logs](std::string_view m) { logs->emplace_back(m); };
  else
    o.log = [](std::string_view) {};
  return o;
}

std::vector<JournalEntry> read_all(const std::filesystem::path& dir, std::uint64_t from = 0) {
  JournalReader r(dir, from);
  std::vector<JournalEntry> out;
  while (auto e = r.next()) out.push_back(std::move(*e));
  return out;
}

TEST(JournalWriter, ProducersOnManyThreadsAllBecomeDurableInPerProducerOrder) {
  TempDir tmp;
  constexpr int kThreads = 4, kPerThread = 500;
  {
    JournalWriter w(options_for(tmp.path()));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&w, t] {
        auto& p = w.register_producer();
        std::uint64_t ticket = 0;
        for (int i = 0; i < kPerThread; ++i)
          ticket = p.append(testing::wire_hit(std::uint64_t(t) * 100000 + std::uint64_t(i)));
        EXPECT_TRUE(p.wait_durable(ticket));
        EXPECT_EQ(p.durable_ticket(), std::uint64_t(kPerThread));
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(w.commit_sequence(), std::uint64_t(kThreads * kPerThread));
    const auto s = w.stats();
    EXPECT_GT(s.commits, 0u);
    EXPECT_LT(s.commits, std::uint64_t(kThreads * kPerThread));  // group commit: many hits per fdatasync
    EXPECT_EQ(s.durable_position, w.durable_position());
  }
  const auto all = read_all(tmp.path());
  ASSERT_EQ(all.size(), std::size_t(kThreads * kPerThread));
  std::map<std::uint64_t, std::uint64_t> last_per_thread;
  for (const auto& e : all) {
    const std::uint64_t n = testing::hit_number(e.record.hit);
    const std::uint64_t t = n / 100000;
    if (last_per_thread.count(t)) {
      EXPECT_GT(n, last_per_thread[t]);
    }
    last_per_thread[t] = n;
    EXPECT_EQ(e.record.appliance_id, "appliance-1");
  }
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].position, all[i - 1].next_position);
}

TEST(JournalWriter, SharedLaneAndPlainIoWork) {
  TempDir tmp;
  auto o = options_for(tmp.path());
  o.force_plain_io = true;
  JournalWriter w(o);
  EXPECT_EQ(w.stats().backend, "write+fdatasync");
  w.on_hit(testing::file_hit(1));
  const auto t = w.append_shared(testing::file_hit(2));
  EXPECT_TRUE(w.wait_durable_shared(t));
  const auto all = read_all(tmp.path());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].record.hit.path, "/srv/spool/2.png");
}

TEST(JournalWriter, ReopeningContinuesAfterTheLastRecord) {
  TempDir tmp;
  for (int round = 0; round < 3; ++round) {
    JournalWriter w(options_for(tmp.path()));
    auto& p = w.register_producer();
    std::uint64_t t = 0;
    for (int i = 0; i < 10; ++i)
      t = p.append(testing::wire_hit(std::uint64_t(round) * 10 + std::uint64_t(i)));
    ASSERT_TRUE(p.wait_durable(t));
    EXPECT_EQ(w.stats().recovered_cut_bytes, 0u);
  }
  const auto all = read_all(tmp.path());
  ASSERT_EQ(all.size(), 30u);
  for (std::uint64_t i = 0; i < 30; ++i) EXPECT_EQ(testing::hit_number(all[i].record.hit), i);
}

TEST(JournalWriter, ASecondWriterOnTheSameDirectoryIsRefused) {
  TempDir tmp;
  JournalWriter w(options_for(tmp.path()));
  EXPECT_THROW(JournalWriter(options_for(tmp.path())), std::system_error);
}

std::uint64_t write_records(const std::filesystem::path& dir, int n) {
  JournalWriter w(options_for(dir));
  auto& p = w.register_producer();
  std::uint64_t t = 0;
  for (int i = 0; i < n; ++i) t = p.append(testing::wire_hit(std::uint64_t(i)));
  EXPECT_TRUE(p.wait_durable(t));
  return w.durable_position();
}

TEST(JournalRecovery, TornTailIsCutCountedAndLogged) {
  TempDir tmp;
  const std::uint64_t end = write_records(tmp.path(), 10);
  // A crash in the middle of a write: half of an eleventh record.
  std::vector<std::uint8_t> extra;
  append_framed_record(testing::wire_hit(10), "appliance-1", extra);
  const auto seg = list_segments(tmp.path()).back().path;
  {
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out.write(reinterpret_cast<const char*>(extra.data()), static_cast<std::streamsize>(extra.size() / 2));
  }
  std::vector<std::string> logs;
  JournalWriter w(options_for(tmp.path(), &logs));
  EXPECT_EQ(w.stats().recovered_cut_bytes, extra.size() / 2);
  EXPECT_EQ(w.durable_position(), end);
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs[0].find("cut a torn or corrupt tail of " + std::to_string(extra.size() / 2) + " bytes"),
            std::string::npos);
  EXPECT_EQ(std::filesystem::file_size(seg), end);
  auto& p = w.register_producer();
  ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(99))));
  const auto all = read_all(tmp.path());
  ASSERT_EQ(all.size(), 11u);
  EXPECT_EQ(testing::hit_number(all[10].record.hit), 99u);
}

TEST(JournalRecovery, CorruptLastRecordIsCut) {
  TempDir tmp;
  write_records(tmp.path(), 5);
  const auto seg = list_segments(tmp.path()).back();
  const auto entries = read_all(tmp.path());
  ASSERT_EQ(entries.size(), 5u);
  {
    std::fstream f(seg.path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(entries[4].position + kFrameHeaderSize + 3));
    f.put('\x5a');
  }
  JournalWriter w(options_for(tmp.path()));
  EXPECT_EQ(w.stats().recovered_cut_bytes, entries[4].next_position - entries[4].position);
  w.close();
  EXPECT_EQ(read_all(tmp.path()).size(), 4u);
}

TEST(JournalRecovery, GarbageAfterTheLastRecordIsCut) {
  TempDir tmp;
  const std::uint64_t end = write_records(tmp.path(), 3);
  const auto seg = list_segments(tmp.path()).back().path;
  {
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out << std::string(4096, '\0');  // preallocated zeros after a power loss look like this
  }
  JournalWriter w(options_for(tmp.path()));
  EXPECT_EQ(w.stats().recovered_cut_bytes, 4096u);
  EXPECT_EQ(w.durable_position(), end);
}

TEST(JournalReader, ReadsOnlyWhatIsDurableAndTailsNewRecords) {
  TempDir tmp;
  JournalWriter w(options_for(tmp.path()));
  auto& p = w.register_producer();
  JournalReader r(tmp.path());
  EXPECT_FALSE(r.next());
  ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(1))));
  auto e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(testing::hit_number(e->record.hit), 1u);
  EXPECT_FALSE(r.next());
  ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(2))));
  e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(testing::hit_number(e->record.hit), 2u);
}

TEST(JournalReader, FollowsTheWriterIntoNewSegmentsWhileTailing) {
  TempDir tmp;
  auto o = options_for(tmp.path());
  o.segment_bytes = 2048;  // a roll every few records
  JournalWriter w(o);
  auto& p = w.register_producer();
  JournalReader r(tmp.path());
  std::uint64_t expected = 0;
  for (std::uint64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(i))));
    while (auto e = r.next()) EXPECT_EQ(testing::hit_number(e->record.hit), expected++);
  }
  EXPECT_EQ(expected, 100u);
  EXPECT_EQ(r.stats().corrupt_bytes_skipped, 0u);
  EXPECT_GT(list_segments(tmp.path()).size(), 5u);
}

TEST(JournalRetention, DeletesOnlyAcknowledgedSegmentsAndOnlyOverTheCap) {
  TempDir tmp;
  const auto ack = tmp.path() / "reporter.state";
  auto o = options_for(tmp.path() / "j");
  o.segment_bytes = 4096;
  o.retention_bytes = 16 * 1024;
  o.ack_state = ack;
  std::uint64_t end = 0;
  {
    JournalWriter w(o);
    auto& p = w.register_producer();
    for (int i = 0; i < 400; ++i) ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(std::uint64_t(i)))));
    end = w.durable_position();
  }
  const auto segments = list_segments(o.dir);
  ASSERT_GT(segments.size(), 8u);
  // Retention runs when a writer is first idle. Nothing acknowledged: nothing deleted, however far over the
  // cap.
  for (int i = 0; i < 2; ++i) {
    JournalWriter w(o);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(list_segments(o.dir).size(), segments.size());
  // Half acknowledged: only segments wholly before the acknowledged position go, the rest stays.
  const std::uint64_t half = segments[segments.size() / 2].start + 10;
  write_ack_position(ack, half);
  {
    JournalWriter w(o);
    for (int i = 0; i < 200 && w.stats().segments_deleted == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(w.stats().segments_deleted, 0u);
  }
  auto left = list_segments(o.dir);
  EXPECT_EQ(left.front().start, segments[segments.size() / 2].start);
  // All acknowledged: deleted down to the cap, never the active segment.
  write_ack_position(ack, end);
  {
    JournalWriter w(o);
    for (int i = 0; i < 200 && w.stats().segments_deleted == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  left = list_segments(o.dir);
  std::uint64_t total = 0;
  for (const auto& s : left) total += s.size;
  EXPECT_LE(total, o.retention_bytes);
  EXPECT_GE(left.size(), 1u);
  EXPECT_EQ(left.back().start, segments.back().start);
  // A reader from the start skips to what is left and still reads everything after it.
  JournalReader r(o.dir, 0);
  auto e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->position, left.front().start);
}

TEST(JournalAckState, WritesAtomicallyAndRejectsGarbage) {
  TempDir tmp;
  const auto f = tmp.path() / "state";
  EXPECT_FALSE(read_ack_position(f));
  write_ack_position(f, 12345);
  EXPECT_EQ(read_ack_position(f), 12345u);
  write_ack_position(f, 99);
  EXPECT_EQ(read_ack_position(f), 99u);
  EXPECT_FALSE(std::filesystem::exists(f.string() + ".tmp"));
  std::ofstream(f) << "position 7\n";
  EXPECT_THROW(read_ack_position(f), std::runtime_error);
}

}  // namespace
}  // namespace dijk::journal
