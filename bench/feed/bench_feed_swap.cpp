// bench_feed_swap [--hashes N] [--delta N] [--algorithm md5|sha256] [--dir DIR]
//
// A hotline publishes a delta of --delta new hashes against a set of --hashes; an appliance that has the
// old version live syncs it (local directory fetcher: the apply path, not the network) while a reader
// thread looks hashes up through the swap holder the whole time. Prints, each against a reference measured
// in the same run:
//   - seconds from "sync now" to the new version live (and the initial snapshot install for reference);
//   - lookups/s during the sync and during the swap itself, as a ratio to the rate before (goal >= 0.9);
//   - resident set memory at the peak of the swap vs old + new set sizes (goal <= 1.0).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "control/feed/publisher.h"
#include "control/sync/syncer.h"
#include "hashcore/setswap/set_holder.h"

namespace {
using namespace dijk;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Lookup counts in 10 ms buckets, so a rate can be read for any window afterwards.
struct RateLog {
  std::mutex m;
  std::vector<std::pair<Clock::time_point, std::uint64_t>> samples;  // (time, cumulative lookups)
  double rate(Clock::time_point from, Clock::time_point to) {
    std::lock_guard l(m);
    const std::pair<Clock::time_point, std::uint64_t>* a = nullptr;
    const std::pair<Clock::time_point, std::uint64_t>* b = nullptr;
    for (const auto& s : samples) {
      if (a == nullptr && s.first >= from) a = &s;
      if (s.first <= to) b = &s;
    }
    if (a == nullptr || b == nullptr || b->first <= a->first) return 0;
    return static_cast<double>(b->second - a->second) /
           std::chrono::duration<double>(b->first - a->first).count();
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t hashes = 10'000'000;
  std::uint64_t delta = 100'000;
  Algorithm algorithm = Algorithm::md5;
  std::string dir = (fs::temp_directory_path() / ("dijk-bench-feed-" + std::to_string(::getpid()))).string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--hashes") hashes = std::stoull(argv[i + 1]);
    if (a == "--delta") delta = std::stoull(argv[i + 1]);
    if (a == "--algorithm")
      algorithm = std::string(argv[i + 1]) == "sha256" ? Algorithm::sha256 : Algorithm::md5;
    if (a == "--dir") dir = argv[i + 1];
  }
  const std::size_t size = digest_size(algorithm);
  const auto ai = static_cast<std::size_t>(algorithm);
  fs::create_directories(dir);
  const std::string keys = dir + "/keys", feed_dir = dir + "/feed", set_dir = dir + "/appliance";
  std::printf("bench_feed_swap: %llu %s hashes, delta of %llu additions, in %s\n",
              static_cast<unsigned long long>(hashes), std::string(algorithm_name(algorithm)).c_str(),
              static_cast<unsigned long long>(delta), dir.c_str());

  // The hotline side: version 1, then version 2 = version 1 + `delta` new hashes.
  std::mt19937_64 rng(42);
  std::vector<std::array<std::uint8_t, kMaxDigestSize>> probes;  // half in the set, half not
  {
    feed::keygen({keys, "bench", 86400});
    feed::SetContents c;
    c.lists = {{"bench", "A1"}};
    c.exact[ai].resize(hashes);
    for (auto& e : c.exact[ai]) {
      for (std::size_t k = 0; k < size; k += 8) {
        const std::uint64_t r = rng();
        std::memcpy(e.bytes.data() + k, &r, std::min<std::size_t>(8, size - k));
      }
    }
    for (std::size_t i = 0; i < 1'000'000; ++i) {
      probes.push_back(i % 2 == 0 ? c.exact[ai][rng() % hashes].bytes
                                  : std::array<std::uint8_t, kMaxDigestSize>{});
      if (i % 2 == 1) {
        for (std::size_t k = 0; k < size; ++k) probes.back()[k] = static_cast<std::uint8_t>(rng());
      }
    }
    const auto t = Clock::now();
    feed::publish_contents({feed_dir, keys, 8, 86400, 0}, c, "");
    std::printf("  publish v1 (snapshot): %.2f s\n", seconds_since(t));
    for (std::uint64_t i = 0; i < delta; ++i) {
      feed::Entry e;
      for (std::size_t k = 0; k < size; ++k) e.bytes[k] = static_cast<std::uint8_t>(rng());
      c.exact[ai].push_back(e);
    }
    const auto t2 = Clock::now();
    // v2 is published after the appliance has v1 (below); keep the contents until then.
    fs::create_directories(dir + "/staged");
    feed::write_set(c, dir + "/staged/v2.set", 2);
    std::printf("  staged v2 set: %.2f s\n", seconds_since(t2));
  }

  // The appliance: install v1 by snapshot (the reference), with the holder dijkd would use.
  SetHolder holder(nullptr);
  sync::SyncConfig config;
  config.feed_name = "bench";
  config.roots = {feed::load_public_key(keys + "/root.pub")};
  config.set_dir = set_dir;
  sync::Syncer syncer(config, std::make_unique<sync::DirectoryFetcher>(feed_dir));
  // Lookups are counted by the reader; the swap callback reads the count at its edges, so the rate over
  // even a millisecond-long swap is exact.
  std::atomic<std::uint64_t> lookups{0};
  Clock::time_point open_begin{}, swap_end{};
  std::uint64_t lookups_open_begin = 0, lookups_swap_end = 0;
  std::uint64_t rss_before_open = 0, rss_both_mapped = 0, rss_after_release = 0;
  syncer.on_installed([&](const std::string& path, std::uint64_t) {
    open_begin = Clock::now();
    lookups_open_begin = lookups.load();
    rss_before_open = rss_bytes();
    auto next = HashSet::open(path, SetVerification::full);  // populated: every page resident
    rss_both_mapped = rss_bytes();                           // the peak: old and new both mapped
    holder.swap(std::move(next));                            // returns after the old one is unmapped
    rss_after_release = rss_bytes();
    lookups_swap_end = lookups.load();
    swap_end = Clock::now();
  });
  // dijk-control runs beside the dataplane at a lower priority (systemd Nice=10); so do both syncs here, on
  // a thread of their own (a thread's nice value is its own; the reader's stays 0).
  double sync_cpu_seconds =
      0;  // CPU time of the last sync's thread: its cost without the machine's contention
  auto sync_niced = [&syncer, &sync_cpu_seconds] {
    sync::SyncStatus out;
    std::thread t([&] {
      (void)::nice(10);
      out = syncer.sync_once();
      timespec cpu{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      sync_cpu_seconds = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
    });
    t.join();
    return out;
  };
  auto t = Clock::now();
  auto st = sync_niced();
  const double snapshot_seconds = seconds_since(t);
  const double snapshot_cpu = sync_cpu_seconds;
  if (st.last_failure != feed::Failure::none) {
    std::fprintf(stderr, "initial sync failed: %s\n", st.last_error.c_str());
    return 1;
  }
  const std::uint64_t old_size = fs::file_size(syncer.current_path());

  // Publish v2 from the staged set (hotline side; not timed as part of the appliance figure).
  t = Clock::now();
  const auto pub = feed::publish_set({feed_dir, keys, 8, 86400, 0}, dir + "/staged/v2.set");
  std::printf("  publish v2 (snapshot + delta of %llu changes): %.2f s\n",
              static_cast<unsigned long long>(pub.delta_changes), seconds_since(t));

  // Readers look up continuously; a sampler records lookups and RSS.
  std::atomic<bool> stop{false};
  RateLog log;
  std::thread reader([&] {
    auto r = holder.register_reader();
    std::vector<std::uint8_t> batch(64 * kMaxDigestSize);
    std::int32_t out[64];
    std::size_t next = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (std::size_t i = 0; i < 64; ++i) {
        std::memcpy(batch.data() + i * kMaxDigestSize, probes[next].data(), kMaxDigestSize);
        next = (next + 1) % probes.size();
      }
      {
        auto live = r.read();
        live->exact(algorithm).find_batch(batch.data(), kMaxDigestSize, 64, out);
      }
      lookups.fetch_add(64, std::memory_order_relaxed);
    }
  });
  std::thread sampler([&] {
    while (!stop.load()) {
      {
        std::lock_guard l(log.m);
        log.samples.emplace_back(Clock::now(), lookups.load(std::memory_order_relaxed));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::uint64_t rss_before = rss_bytes();
  const auto sync_begin = Clock::now();
  st = sync_niced();  // "sync now"
  const auto live_at = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  if (st.last_failure != feed::Failure::none || holder.current()->version() != 2) {
    std::fprintf(stderr, "delta sync failed: %s\n", st.last_error.c_str());
    return 1;
  }

  // One swap lasts well under a second, too short to measure a rate on a shared machine. So: 10 more swaps
  // (alternating previous.set and current.set, each opened with full verification as dijkd does), each
  // preceded by an idle window of the same length; the ratio of lookups in swap windows to lookups in
  // idle windows cancels the machine's drifting load.
  struct SwapFigure {
    double swap_time, swap_rate, idle_rate;
  };
  // The swapping thread runs at `niceness`: 0 competes with the reader for this machine's 2 shared cores;
  // 19 is closer to dijkd, whose lookup threads own their cores while the control thread swaps elsewhere.
  auto measure_swaps = [&](int niceness) {
    SwapFigure f{};
    std::thread swapper([&] {
      (void)::nice(niceness);
      std::uint64_t idle_lookups = 0, swap_lookups = 0;
      double idle_time = 0;
      auto window = std::chrono::milliseconds(200);
      for (int round = 0; round < 10; ++round) {
        auto c0 = lookups.load();
        auto t0 = Clock::now();
        std::this_thread::sleep_for(window);
        idle_lookups += lookups.load() - c0;
        idle_time += seconds_since(t0);
        c0 = lookups.load();
        t0 = Clock::now();
        holder.swap(HashSet::open(round % 2 == 0 ? syncer.previous_path() : syncer.current_path(),
                                  SetVerification::full));
        swap_lookups += lookups.load() - c0;
        const double d = seconds_since(t0);
        f.swap_time += d;
        window = std::chrono::milliseconds(static_cast<long>(d * 1000) + 1);
      }
      f.swap_rate = static_cast<double>(swap_lookups) / f.swap_time;
      f.idle_rate = static_cast<double>(idle_lookups) / idle_time;
    });
    swapper.join();
    return f;
  };
  const SwapFigure swaps_nice0 = measure_swaps(0);
  const SwapFigure swaps_nice19 = measure_swaps(19);
  stop = true;
  reader.join();
  sampler.join();

  const std::uint64_t new_size = fs::file_size(syncer.current_path());

  const double before = log.rate(sync_begin - std::chrono::milliseconds(2500), sync_begin);
  const double during_sync = log.rate(sync_begin, live_at);
  const double during_swap = static_cast<double>(lookups_swap_end - lookups_open_begin) /
                             std::chrono::duration<double>(swap_end - open_begin).count();
  const double after = log.rate(live_at, live_at + std::chrono::milliseconds(1500));
  const double sync_seconds = std::chrono::duration<double>(live_at - sync_begin).count();
  const double swap_seconds = std::chrono::duration<double>(swap_end - open_begin).count();

  std::printf(
      "\nsync now -> v2 live (%s): %.2f s   [reference: full snapshot install of v1 in the same run: %.2f s;"
      " ratio %.2f]\n",
      st.last_method.c_str(), sync_seconds, snapshot_seconds, sync_seconds / snapshot_seconds);
  std::printf("  CPU time of the sync thread: %.2f s   [reference: snapshot install %.2f s; ratio %.2f]\n",
              sync_cpu_seconds, snapshot_cpu, sync_cpu_seconds / snapshot_cpu);
  std::printf(
      "  phases: fetch+check %.2f s, read+apply %.2f s, build %.2f s, verify %.2f s;"
      " dijkd's open+verify+swap+release %.3f s\n",
      st.fetch_seconds, st.apply_seconds, st.build_seconds, st.verify_seconds, swap_seconds);
  std::printf("lookups/s before: %.3g\n", before);
  std::printf("lookups/s during the swap (open+verify+swap+release): %.3g   ratio %.3f (goal >= 0.9)\n",
              during_swap, before > 0 ? during_swap / before : 0);
  std::printf("lookups/s during the whole sync (apply+build on the other core): %.3g   ratio %.3f\n",
              during_sync, before > 0 ? during_sync / before : 0);
  std::printf("lookups/s in the 1.5 s after v2 is live: %.3g   ratio %.3f\n", after,
              before > 0 ? after / before : 0);
  for (const auto& [label, f] :
       {std::pair{"swapper at nice 0 ", swaps_nice0}, std::pair{"swapper at nice 19", swaps_nice19}}) {
    std::printf(
        "10 swaps, %s (%.2f s in all): lookups/s during swaps %.3g vs idle windows of equal length"
        " in the same run %.3g   ratio %.3f (goal >= 0.9)\n",
        label, f.swap_time, f.swap_rate, f.idle_rate, f.swap_rate / f.idle_rate);
  }
  // Set memory at the swap's peak: the old set (resident since its populated open) plus what opening the new
  // one added. The sync's own build heap is not the swap's and is left out (dijk-control builds in its own
  // process on the appliance).
  const double set_peak = static_cast<double>(old_size) + static_cast<double>(rss_both_mapped) -
                          static_cast<double>(rss_before_open);
  std::printf(
      "memory: old set %.1f MB, new set %.1f MB; RSS before sync %.1f MB, before the swap %.1f MB,"
      " at its peak %.1f MB, after the old set's release %.1f MB\n",
      static_cast<double>(old_size) / 1e6, static_cast<double>(new_size) / 1e6,
      static_cast<double>(rss_before) / 1e6, static_cast<double>(rss_before_open) / 1e6,
      static_cast<double>(rss_both_mapped) / 1e6, static_cast<double>(rss_after_release) / 1e6);
  std::printf("set memory at the swap's peak vs old + new: %.1f MB / %.1f MB = %.3f (goal <= 1.0)\n",
              set_peak / 1e6, static_cast<double>(old_size + new_size) / 1e6,
              set_peak / static_cast<double>(old_size + new_size));
  {
    std::ifstream load("/proc/loadavg");
    std::string l1;
    load >> l1;
    std::printf("machine load average at the end: %s on %u cores (the rates above share them)\n", l1.c_str(),
                std::thread::hardware_concurrency());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
