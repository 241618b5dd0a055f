// Journal and reporter figures, each beside a reference measured in the same run:
//  1. paced appends at 1k and 10k hits/s: achieved rate and p50/p99 commit latency (enqueue -> durable),
//     against the same records written one by one with write()+fdatasync at the same pace;
//  2. unpaced appends/s from 4 producers, against write()+fdatasync per record;
//  3. reporter delivery rate to a loopback inbox over TLS, against storing the same hits straight into
//     the inbox database (no HTTP, TLS or JSON).
// Usage: journal_bench [DIR] (default ./journal-bench.tmp: put it on the disk you care about, not tmpfs).
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "apps/dijk-hotline/inbox/inbox_server.h"
#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "control/journal/journal_reader.h"
#include "control/journal/journal_writer.h"
#include "control/journal/record.h"
#include "control/reporter/reporter.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/unit/journal/test_hits.h"

using namespace dijk;
using namespace dijk::journal;
using Clock = std::chrono::steady_clock;

namespace {

struct Latency {
  double p50_ms = 0, p99_ms = 0, rate = 0;
};

Latency summarise(std::vector<double> ms, double seconds) {
  Latency l;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.p50_ms = ms[ms.size() / 2];
  l.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  l.rate = static_cast<double>(ms.size()) / seconds;
  return l;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The journal at a fixed pace: one producer appends on schedule; an observer timestamps durability.
Latency paced_journal(const std::filesystem::path& dir, double rate, double seconds, JournalStats& stats) {
  std::filesystem::remove_all(dir);
  JournalOptions o;
  o.dir = dir;
  o.appliance_id = "bench";
  o.log = [](std::string_view) {};
  o.force_plain_io = std::getenv("JOURNAL_BENCH_PLAIN") != nullptr;
  JournalWriter w(o);
  auto& p = w.register_producer();
  const auto n = static_cast<std::size_t>(rate * seconds);
  std::vector<Clock::time_point> enqueued(n), durable(n);
  std::atomic<bool> done{false};
  std::thread observer([&] {
    std::uint64_t seen = 0;
    while (seen < n) {
      const std::uint64_t d = p.durable_ticket();
      const auto now = Clock::now();
      for (; seen < d; ++seen) durable[seen] = now;
      if (done.load() && d == seen && seen == n) break;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  const auto start = Clock::now();
  const auto step = std::chrono::duration<double>(1.0 / rate);
  for (std::size_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<Clock::duration>(step * static_cast<double>(i)));
    enqueued[i] = Clock::now();
    p.append(testing::wire_hit(i));
  }
  done.store(true);
  p.wait_durable(n);
  observer.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> lat(n);
  for (std::size_t i = 0; i < n; ++i) lat[i] = ms_between(enqueued[i], durable[i]);
  stats = w.stats();
  return summarise(lat, elapsed);
}

// The reference: the same framed records, each written with write() and made durable with fdatasync()
// before the next, at the same pace. Latency runs from the scheduled time, so falling behind shows.
Latency paced_plain(const std::filesystem::path& file, double rate, double seconds) {
  std::filesystem::remove(file);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const auto n = static_cast<std::size_t>(rate * seconds);
  std::vector<double> lat(n);
  std::vector<std::uint8_t> rec;
  const auto start = Clock::now();
  const auto step = std::chrono::duration<double>(1.0 / rate);
  // The reference cannot keep up at these rates on most disks; it stops after the same wall time plus a
  // second, and its rate is what it managed in that time (its latencies are those of the records written).
  const auto give_up =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds + 1));
  std::size_t written = 0;
  for (std::size_t i = 0; i < n && Clock::now() < give_up; ++i) {
    const auto due = start + std::chrono::duration_cast<Clock::duration>(step * static_cast<double>(i));
    std::this_thread::sleep_until(due);
    rec.clear();
    append_framed_record(testing::wire_hit(i), "bench", rec);
    if (::write(fd, rec.data(), rec.size()) != static_cast<ssize_t>(rec.size()) || ::fdatasync(fd) != 0)
      break;
    lat[i] = ms_between(due, Clock::now());
    written = i + 1;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  lat.resize(written);
  return summarise(lat, elapsed);
}

double unpaced_journal(const std::filesystem::path& dir, std::size_t per_thread, int threads) {
  std::filesystem::remove_all(dir);
  JournalOptions o;
  o.dir = dir;
  o.appliance_id = "bench";
  o.log = [](std::string_view) {};
  JournalWriter w(o);
  const auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      auto& p = w.register_producer();
      std::uint64_t k = 0;
      for (std::size_t i = 0; i < per_thread; ++i) k = p.append(testing::wire_hit(i));
      p.wait_durable(k);
    });
  }
  for (auto& t : ts) t.join();
  return static_cast<double>(per_thread * static_cast<std::size_t>(threads)) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

double unpaced_plain(const std::filesystem::path& file, std::size_t n) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<std::uint8_t> rec;
  const auto start = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    rec.clear();
    append_framed_record(testing::wire_hit(i), "bench", rec);
    if (::write(fd, rec.data(), rec.size()) != static_cast<ssize_t>(rec.size()) || ::fdatasync(fd) != 0)
      break;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  return static_cast<double>(n) / s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path root = argc > 1 ? argv[1] : "journal-bench.tmp";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  struct statfs fs {};
  ::statfs(root.c_str(), &fs);
  std::printf("journal bench in %s (filesystem magic 0x%lx)\n", std::filesystem::absolute(root).c_str(),
              static_cast<unsigned long>(fs.f_type));

  for (const double rate : {1000.0, 10000.0}) {
    const double seconds = 2.0;
    JournalStats s;
    const Latency j = paced_journal(root / "paced", rate, seconds, s);
    const Latency r = paced_plain(root / "plain.log", rate, seconds);
    std::printf(
        "paced %5.0f hits/s: journal (%s, group commit) %8.0f appends/s, commit latency p50 %.2f ms p99 %.2f "
        "ms, "
        "%.1f hits per fdatasync\n"
        "                     reference write()+fdatasync %8.0f appends/s, latency p50 %.2f ms p99 %.2f ms\n"
        "                     ratio journal/reference: rate %.2fx, p99 latency %.2fx\n",
        rate, s.backend.c_str(), j.rate, j.p50_ms, j.p99_ms,
        s.commits ? static_cast<double>(s.records_committed) / static_cast<double>(s.commits) : 0.0, r.rate,
        r.p50_ms, r.p99_ms, r.rate > 0 ? j.rate / r.rate : 0.0, r.p99_ms > 0 ? j.p99_ms / r.p99_ms : 0.0);
  }

  const double ju = unpaced_journal(root / "unpaced", 25000, 4);
  const double pu = unpaced_plain(root / "plain2.log", 1000);
  std::printf(
      "unpaced: journal 4 producers %.0f appends/s; reference write()+fdatasync per record %.0f appends/s; "
      "ratio %.1fx\n",
      ju, pu, ju / pu);

  // Reporter delivery to a loopback inbox.
  const auto pki = journal::testing::make_test_pki(root / "pki");
  constexpr std::size_t kHits = 20000;
  {
    JournalOptions o;
    o.dir = root / "deliver";
    o.appliance_id = "appliance-1";
    o.log = [](std::string_view) {};
    JournalWriter w(o);
    auto& p = w.register_producer();
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < kHits; ++i) k = p.append(testing::wire_hit(i));
    p.wait_durable(k);
  }
  inbox::InboxOptions io;
  io.cert = pki.server_cert;
  io.key = pki.server_key;
  io.client_ca = pki.ca;
  io.db = root / "inbox.db";
  io.log = [](std::string_view) {};
  inbox::InboxServer server(io);
  server.start();
  reporter::ReporterOptions ro;
  ro.journal_dir = root / "deliver";
  ro.state_file = root / "state";
  ro.privacy = PrivacyPolicy::send_everything();  // as the figures were taken: no HMAC per hit
  ro.tls = {"https://127.0.0.1:" + std::to_string(server.port()) + "/v1/hits", pki.client_cert,
            pki.client_key, pki.ca};
  ro.log = [](std::string_view) {};
  reporter::Reporter rep(ro);
  auto start = Clock::now();
  std::size_t sent = 0;
  while (auto d = rep.deliver_once()) {
    if (*d == 0) break;
    sent += *d;
  }
  const double delivered =
      static_cast<double>(sent) / std::chrono::duration<double>(Clock::now() - start).count();
  server.stop();
  // Reference: the same hits stored straight into an inbox database in the same batch size.
  inbox::SqliteInboxStore direct(root / "direct.db");
  JournalReader reader(root / "deliver");
  std::vector<inbox::InboxHit> batch;
  start = Clock::now();
  std::size_t stored = 0;
  while (auto e = reader.next()) {
    inbox::InboxHit h;
    h.appliance = e->record.appliance_id;
    h.position = e->position;
    h.key = h.appliance + ":" + std::to_string(h.position);
    h.time_ns = e->record.hit.time_ns;
    h.algorithm = e->record.hit.algorithm;
    h.hash = e->record.hit.hash;
    h.list = e->record.hit.list;
    h.report = "{}";
    batch.push_back(std::move(h));
    if (batch.size() == 500) {
      stored += direct.store(batch, 0).accepted;
      batch.clear();
    }
  }
  stored += direct.store(batch, 0).accepted;
  const double direct_rate =
      static_cast<double>(stored) / std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "reporter: %zu hits delivered over TLS to a loopback inbox at %.0f hits/s (batches of 500); reference "
      "direct SQLite store of the same hits %.0f hits/s; ratio %.2f\n",
      sent, delivered, direct_rate, delivered / direct_rate);
  std::filesystem::remove_all(root);
  return 0;
}
