// bench_feed_swap [--hashes N] [--delta N] [--algorithm md5|sha256] [--dir DIR]
//
// A hotline publishes a delta of --delta new hashes against a set of --hashes; an appliance that has the
// old version live syncs it (local directory fetcher: the apply path, not the network) while a reader
// thread looks hashes up through the swap holder the whole time. Prints, each against a reference measured
// in the same run:
//   - seconds from "sync now" to the new version live as an overlay, against a second appliance that
//     rebuilds the whole set for the same delta (the path before layered sets; goal <= 1 s);
//   - lookups/s with the overlay live against the base alone;
//   - lookups/s while the overlay is merged into a new base at nice 19, against idle windows of equal
//     length (goal >= 0.9), and the same for full-set swaps;
//   - resident set memory at the peak of the merged base's swap vs old + new set sizes (goal <= 1.0).
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

  // The appliance: install v1 by snapshot, with the holder dijkd would use. A second appliance with layering
  // off gets v1 too: it syncs v2 the way every delta went live before overlays (the reference).
  SetHolder holder(nullptr);
  sync::SyncConfig config;
  config.feed_name = "bench";
  config.roots = {feed::load_public_key(keys + "/root.pub")};
  config.set_dir = set_dir;
  config.merge_at_entries = ~std::uint64_t{0};  // merged below, on cue
  sync::Syncer syncer(config, std::make_unique<sync::DirectoryFetcher>(feed_dir));
  sync::SyncConfig rebuild_config = config;
  rebuild_config.set_dir = dir + "/appliance-rebuild";
  rebuild_config.layered = false;
  sync::Syncer rebuilder(rebuild_config, std::make_unique<sync::DirectoryFetcher>(feed_dir));

  // Lookups are counted by the reader; the swap callback reads the count and RSS at its edges.
  std::atomic<std::uint64_t> lookups{0};
  struct Swap {
    Clock::time_point begin, end;
    std::uint64_t rss_before = 0, rss_both = 0;
  };
  Swap last_swap;
  syncer.on_installed([&](const std::string& path, std::uint64_t) {
    Swap s;
    s.begin = Clock::now();
    s.rss_before = rss_bytes();
    // As dijkd's watcher does: an unchanged base is shared with the live set, an overlay mapped beside it.
    const auto live = holder.current();
    auto next = HashSet::open(path, SetVerification::full, 1, live.get());
    s.rss_both = rss_bytes();
    holder.swap(std::move(next));  // returns after the old one is unmapped (if nothing shares it)
    s.end = Clock::now();
    last_swap = s;
  });
  // dijk-control runs beside the dataplane at a lower priority (systemd Nice=10), and merges at nice 19.
  double cpu_seconds = 0;  // CPU time of the last niced call's thread: its cost without the contention
  auto niced = [&cpu_seconds](int niceness, auto&& fn) {
    std::thread t([&] {
      (void)::nice(niceness);
      fn();
      timespec cpu{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      cpu_seconds = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
    });
    t.join();
  };
  sync::SyncStatus st;
  auto t = Clock::now();
  niced(10, [&] { st = syncer.sync_once(); });
  const double snapshot_seconds = seconds_since(t);
  if (st.last_failure != feed::Failure::none) {
    std::fprintf(stderr, "initial sync failed: %s\n", st.last_error.c_str());
    return 1;
  }
  niced(10, [&] { st = rebuilder.sync_once(); });
  if (st.last_failure != feed::Failure::none) return 1;
  const std::uint64_t old_size = fs::file_size(syncer.current_path());
  std::printf("  snapshot install of v1: %.2f s\n", snapshot_seconds);

  // Publish v2 from the staged set (hotline side; not timed as part of the appliance figure).
  t = Clock::now();
  const auto pub = feed::publish_set({feed_dir, keys, 8, 86400, 0}, dir + "/staged/v2.set");
  std::printf("  publish v2 (snapshot + delta of %llu changes): %.2f s\n",
              static_cast<unsigned long long>(pub.delta_changes), seconds_since(t));

  // Readers look up continuously; a sampler records lookups.
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
  // Lookups over a window of `d`, counted from now.
  auto rate_over = [&](std::chrono::milliseconds d) {
    const auto c0 = lookups.load();
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(d);
    return static_cast<double>(lookups.load() - c0) / seconds_since(t0);
  };

  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double before_sync = rate_over(std::chrono::milliseconds(1500));

  // 1. "sync now": the delta goes live as an overlay.
  const auto sync_begin = Clock::now();
  niced(10, [&] { st = syncer.sync_once(); });
  const auto live_at = Clock::now();
  const double overlay_cpu = cpu_seconds;
  const sync::SyncStatus layered = st;
  if (st.last_failure != feed::Failure::none || holder.current()->version() != 2 ||
      !holder.current()->layered()) {
    std::fprintf(stderr, "delta sync failed: %s\n", st.last_error.c_str());
    return 1;
  }
  const double overlay_swap = std::chrono::duration<double>(last_swap.end - last_swap.begin).count();
  // What the overlay costs lookups: windows with the layered set live alternate with windows with the
  // base alone (the same file mapped again), so the machine's drifting load cancels.
  double with_overlay = 0, base_alone = 0;
  {
    const auto layered_set = holder.current();
    const auto base_only = HashSet::open_file(syncer.current_path(), SetVerification::structure);
    for (int round = 0; round < 6; ++round) {
      holder.swap(base_only);
      base_alone += rate_over(std::chrono::milliseconds(250));
      holder.swap(layered_set);
      with_overlay += rate_over(std::chrono::milliseconds(250));
    }
  }

  // 2. The merge at nice 19, with lookups measured throughout, against idle windows of the same length
  // before and after it.
  const double idle_before = rate_over(std::chrono::milliseconds(1500));
  std::string merged;
  const auto merge_begin = Clock::now();
  const auto merge_count0 = lookups.load();
  niced(19, [&] { merged = syncer.merge_overlay(); });
  const double merge_seconds = seconds_since(merge_begin);
  const double merge_cpu = cpu_seconds;
  const double during_merge = static_cast<double>(lookups.load() - merge_count0) / merge_seconds;
  const Swap merge_swap = last_swap;
  const double idle_after = rate_over(std::chrono::milliseconds(1500));
  if (!merged.starts_with("merged") || holder.current()->layered() || holder.current()->version() != 2) {
    std::fprintf(stderr, "merge failed: %s\n", merged.c_str());
    return 1;
  }

  // 3. The reference: the same delta on the appliance that rebuilds.
  t = Clock::now();
  niced(10, [&] { st = rebuilder.sync_once(); });
  const double rebuild_seconds = seconds_since(t);
  const double rebuild_cpu = cpu_seconds;
  if (st.last_failure != feed::Failure::none || HashSet::open(rebuilder.current_path())->layered()) {
    std::fprintf(stderr, "rebuild sync failed: %s\n", st.last_error.c_str());
    return 1;
  }

  // 4. Full-set swaps (as after a merge or a snapshot): one lasts well under a second, too short to
  // measure a rate on a shared machine. So: 10 swaps (alternating two full sets, each opened with full
  // verification as dijkd does), each preceded by an idle window of the same length; the ratio of lookups
  // in swap windows to lookups in idle windows cancels the machine's drifting load.
  struct SwapFigure {
    double swap_time, swap_rate, idle_rate;
  };
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
        holder.swap(HashSet::open(round % 2 == 0 ? rebuilder.current_path() : syncer.current_path(),
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
  const double sync_seconds = std::chrono::duration<double>(live_at - sync_begin).count();
  const double during_sync = log.rate(sync_begin, live_at);
  const double idle = (idle_before + idle_after) / 2;

  std::printf(
      "\nsync now -> v2 live as an overlay of %llu entries: %.3f s (CPU %.3f s)   [reference: the same"
      " delta rebuilding the set, as before overlays, same run: %.2f s (CPU %.2f s); ratio %.4f]"
      " (goal <= 1 s)\n",
      static_cast<unsigned long long>(layered.overlay_entries), sync_seconds, overlay_cpu, rebuild_seconds,
      rebuild_cpu, sync_seconds / rebuild_seconds);
  std::printf(
      "  phases: fetch+check %.3f s, apply+write overlay %.3f s, verify %.3f s;"
      " open+swap as dijkd (base shared) %.4f s\n",
      layered.fetch_seconds, layered.build_seconds, layered.verify_seconds, overlay_swap);
  std::printf("lookups/s during the sync: %.3g   against the base alone before it %.3g   ratio %.3f\n",
              during_sync, before_sync, during_sync / before_sync);
  std::printf(
      "lookups/s with the overlay live: %.3g   against the base alone, windows alternating: %.3g   ratio"
      " %.3f\n",
      with_overlay / 6, base_alone / 6, with_overlay / base_alone);
  std::printf(
      "merge at nice 19 (%s): %.2f s (CPU %.2f s); lookups/s throughout %.3g   against idle windows"
      " before and after %.3g   ratio %.3f (goal >= 0.9)\n",
      merged.c_str(), merge_seconds, merge_cpu, during_merge, idle, during_merge / idle);
  for (const auto& [label, f] :
       {std::pair{"swapper at nice 0 ", swaps_nice0}, std::pair{"swapper at nice 19", swaps_nice19}}) {
    std::printf(
        "10 full-set swaps, %s (%.2f s in all): lookups/s during swaps %.3g vs idle windows of equal length"
        " in the same run %.3g   ratio %.3f (goal >= 0.9)\n",
        label, f.swap_time, f.swap_rate, f.idle_rate, f.swap_rate / f.idle_rate);
  }
  // Set memory at the merged base's swap: the old base (resident) plus what opening the new one added.
  const double set_peak = static_cast<double>(old_size) + static_cast<double>(merge_swap.rss_both) -
                          static_cast<double>(merge_swap.rss_before);
  std::printf("set memory at the merged base's swap vs old + new: %.1f MB / %.1f MB = %.3f (goal <= 1.0)\n",
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
