// What prevention (dataplane.ips) costs a forwarded frame: the inline bridge's added latency, p50/p99,
// with and without prevention in the same run. Two memory-fed ports (DPDK net_ring, built from rte_rings:
// no NIC, no kernel) are bridged by ONE worker lcore running the real dataplane (decode, reassembly,
// HTTP, multipart, MD5+SHA-1, set lookups). A feeder thread plays a generated capture of uploads into
// port A's RX ring at a fixed rate, stamping each frame with the TSC, and takes the forwarded frames off
// port B's TX ring: latency = TX-ring arrival - RX-ring arrival, every frame. No upload is listed, so every
// frame is forwarded: this measures the price of holding, not of blocking.
// Rounds alternate (reference: prevention off; and on, in turns) so both see the same neighbours on a
// shared machine; a warm-up round is not counted.
//
// On a machine shared with other work, a busy-polling worker is preempted for whole time slices (ms), which
// swamps what is measured here; --realtime (root) runs the worker lcore and the feeder SCHED_FIFO for the
// rounds, so each has its CPU as on an appliance (the kernel's RT throttling still leaves others 5 %).
//
//   ips_latency_bench [--mbps 400] [--megabytes 48] [--rounds 3] [--flows 64] [--file-kib 256] [--realtime]
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "apps/dijkd/hit_lanes.h"
#include "bench/wire/upload_traffic.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/wire_stages.h"

namespace {

class CountingSink : public dijk::HitSink {
 public:
  void on_hit(const dijk::HitEvent&) override { ++hits; }
  std::uint64_t hits = 0;
};

using Frame = std::vector<std::uint8_t>;

// The frames of a classic pcap file, in order.
std::vector<Frame> read_pcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Frame> frames;
  std::size_t at = 24;
  while (at + 16 <= bytes.size()) {
    std::uint32_t caplen = 0;
    std::memcpy(&caplen, bytes.data() + at + 8, 4);
    at += 16;
    if (at + caplen > bytes.size()) break;
    frames.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                        bytes.begin() + static_cast<std::ptrdiff_t>(at + caplen));
    at += caplen;
  }
  return frames;
}

struct Rings {
  rte_ring* in_a;
  rte_ring* out_a;
  rte_ring* in_b;
  rte_ring* out_b;
  std::uint16_t port_a;
  std::uint16_t port_b;
};

rte_ring* make_ring(const std::string& name) {
  rte_ring* r = rte_ring_create(name.c_str(), 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (r == nullptr) throw std::runtime_error("rte_ring_create " + name);
  return r;
}

// Fresh rings and ports for each round: the dataplane closes its ports when it is done.
Rings make_ports(unsigned round) {
  const std::string n = std::to_string(round);
  Rings r{make_ring("ips_in_a" + n),
          make_ring("ips_out_a" + n),
          make_ring("ips_in_b" + n),
          make_ring("ips_out_b" + n),
          0,
          0};
  const int a = rte_eth_from_rings(("ips_bench_a" + n).c_str(), &r.in_a, 1, &r.out_a, 1, 0);
  const int b = rte_eth_from_rings(("ips_bench_b" + n).c_str(), &r.in_b, 1, &r.out_b, 1, 0);
  if (a < 0 || b < 0) throw std::runtime_error("rte_eth_from_rings failed");
  r.port_a = static_cast<std::uint16_t>(a);
  r.port_b = static_cast<std::uint16_t>(b);
  return r;
}

// Every thread of this process (the worker lcore, the feeder; the others sleep) SCHED_FIFO, or back.
void set_realtime(bool on) {
  sched_param p{};
  p.sched_priority = on ? 1 : 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    const auto tid = static_cast<pid_t>(std::stol(task.path().filename().string()));
    if (sched_setscheduler(tid, on ? SCHED_FIFO : SCHED_OTHER, &p) != 0 && on)
      throw std::runtime_error("sched_setscheduler SCHED_FIFO refused (run as root, or without --realtime)");
  }
}

struct Latency {
  std::vector<std::uint32_t> ns;  // one per forwarded frame
  double worker_cpu_share = 0;    // the worker's CPU time / the round's wall time
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;  // not forwarded (the feeder found the RX ring full, or the bridge dropped it)
  std::uint64_t late_sends = 0;  // the feeder itself fell behind its schedule by > 10 us
  double percentile(double p) const {
    if (ns.empty()) return 0;
    std::vector<std::uint32_t> s = ns;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(s.size() - 1));
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k), s.end());
    return s[k] / 1000.0;
  }
};

// One round: a fresh dataplane bridging the two ring ports, the capture played through it once.
Latency run_round(const Rings& rings, const std::vector<Frame>& frames, const std::string& set_path, bool ips,
                  double mbps, rte_mempool* pool, int stamp_offset, bool realtime) {
  CountingSink sink;
  dijk::LiveSet set(set_path);
  dijk::HitLanes hits(sink, std::nullopt);
  dijk::StreamFactoryOptions options{true, 1u << 16, {}, 0, std::nullopt};
  if (ips) options.ips = dijk::VerdictPolicy{};  // every list blocks
  dijk::StreamFactory streams(std::move(options), hits, set, nullptr);
  dijk::dpdk::DataplaneConfig config;
  config.mode = dijk::dpdk::Mode::inline_bridge;
  config.ips = ips;
  config.ports = {rings.port_a, rings.port_b};
  config.mbufs_per_port = 8191;
  dijk::dpdk::Dataplane dp(config, [&](unsigned) { return streams.make(0); });

  Latency out;
  out.ns.reserve(frames.size());
  std::atomic<bool> done{false};
  std::thread feeder([&] {
    const double hz = static_cast<double>(rte_get_tsc_hz());
    const auto stamp = [&](rte_mbuf* m) -> std::uint64_t& {
      return *RTE_MBUF_DYNFIELD(m, static_cast<std::size_t>(stamp_offset), std::uint64_t*);
    };
    std::array<rte_mbuf*, 64> got{};
    const auto drain = [&] {
      const unsigned n =
          rte_ring_dequeue_burst(rings.out_b, reinterpret_cast<void**>(got.data()), 64, nullptr);
      const std::uint64_t now = rte_rdtsc();
      for (unsigned i = 0; i < n; ++i) {
        out.ns.push_back(static_cast<std::uint32_t>(static_cast<double>(now - stamp(got[i])) * 1e9 / hz));
        rte_pktmbuf_free(got[i]);
      }
      // Anything sent back towards the client (none: nothing is listed) is freed too.
      const unsigned back =
          rte_ring_dequeue_burst(rings.out_a, reinterpret_cast<void**>(got.data()), 64, nullptr);
      for (unsigned i = 0; i < back; ++i) rte_pktmbuf_free(got[i]);
    };
    const auto ticks = [&](double seconds) { return static_cast<std::uint64_t>(seconds * hz); };
    // Traffic comes in windows of 0.6 s with 0.4 s of quiet between them. With --realtime the threads are
    // SCHED_FIFO only during a window, so they never reach the kernel's RT budget (0.95 s a second) and
    // are never throttled mid-window (which would stall both for 50 ms and make p99 that stall).
    const auto pause = [&] {
      const std::uint64_t quiet = rte_rdtsc() + ticks(0.005);
      while (rte_rdtsc() < quiet) drain();  // the window's last frames come out
      if (realtime) set_realtime(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      drain();
      if (realtime) set_realtime(true);
      return rte_rdtsc();
    };
    std::uint64_t next = rte_rdtsc() + ticks(0.01);  // for the worker to start
    if (realtime) set_realtime(true);
    std::uint64_t window = next;
    for (const Frame& f : frames) {
      if (next > window + ticks(0.6)) window = next = pause();
      while (rte_rdtsc() < next) drain();
      if (rte_rdtsc() > next + static_cast<std::uint64_t>(hz / 1e5)) ++out.late_sends;
      next += static_cast<std::uint64_t>(static_cast<double>(f.size() + 24) * 8 / (mbps * 1e6) * hz);
      rte_mbuf* m = rte_pktmbuf_alloc(pool);
      if (m == nullptr) {
        ++out.lost;
        continue;
      }
      std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
      ++out.sent;
      stamp(m) = rte_rdtsc();
      if (rte_ring_enqueue(rings.in_a, m) != 0) {
        rte_pktmbuf_free(m);
        ++out.lost;
      }
    }
    const std::uint64_t until = rte_rdtsc() + ticks(0.005);
    while (rte_rdtsc() < until) drain();
    if (realtime) set_realtime(false);
    const std::uint64_t rest = rte_rdtsc() + ticks(0.2);  // stragglers (none expected)
    while (rte_rdtsc() < rest) drain();
    done.store(true);
  });
  const auto t0 = std::chrono::steady_clock::now();
  dp.run([&] { return done.load(); });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  feeder.join();
  for (const auto& [name, value] : dp.workers().front()->counter_list())
    if (name == "cpu_ns") out.worker_cpu_share = static_cast<double>(value) / 1e9 / wall;
  out.lost += out.sent - std::min<std::uint64_t>(out.sent, out.ns.size());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double mbps = 400;
  double megabytes = 48;
  unsigned rounds = 3;
  unsigned flows = 64;
  std::size_t file_kib = 256;
  bool realtime = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string("0"); };
    if (a == "--mbps")
      mbps = std::stod(next());
    else if (a == "--megabytes")
      megabytes = std::stod(next());
    else if (a == "--rounds")
      rounds = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--flows")
      flows = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--file-kib")
      file_kib = std::stoul(next());
    else if (a == "--realtime")
      realtime = true;
    else {
      std::fprintf(stderr,
                   "usage: ips_latency_bench [--mbps R] [--megabytes M] [--rounds N] [--flows F] "
                   "[--file-kib K] [--realtime]\n");
      return 2;
    }
  }
  try {
    const std::string capture =
        (std::filesystem::temp_directory_path() / ("dijk_ips_bench_" + std::to_string(getpid()) + ".pcap"))
            .string();
    dijk::bench::TrafficSpec spec;
    spec.total_bytes = static_cast<std::uint64_t>(megabytes * 1e6);
    spec.concurrent_flows = flows;
    spec.file_bytes = file_kib * 1024;
    const auto traffic = dijk::bench::write_upload_capture(capture, spec);
    const std::vector<Frame> frames = read_pcap(capture);
    std::filesystem::remove(capture);
    // A set with MD5 and SHA-1 entries that match nothing: the stream stage computes both for every file.
    const std::string set_path = capture + ".set";
    dijk::bench::write_md5_sha1_decoy_set(set_path);

    dijk::dpdk::EalOptions eal;
    eal.memory_mb = 512;
    eal.file_prefix = "dijk-ips-bench-" + std::to_string(getpid());
    const unsigned cpus = std::thread::hardware_concurrency();
    eal.lcores = cpus >= 2 ? "0-1" : dijk::dpdk::lcore_map(2, cpus);
    dijk::dpdk::Eal env(eal);
    const rte_mbuf_dynfield stamp_field{"dijk_ips_bench_tsc", sizeof(std::uint64_t), alignof(std::uint64_t),
                                        0};
    const int stamp_offset = rte_mbuf_dynfield_register(&stamp_field);
    if (stamp_offset < 0) throw std::runtime_error("rte_mbuf_dynfield_register failed");
    rte_mempool* pool = rte_pktmbuf_pool_create("ips_bench_feed", 16383, 256, 0, 2048 + 128, 0);
    if (pool == nullptr) throw std::runtime_error("rte_pktmbuf_pool_create failed");

    std::printf(
        "%zu frames (%llu uploads of %zu KiB over %u concurrent flows) fed at %.0f Mbit/s into one worker "
        "lcore bridging two net_ring ports; MD5+SHA-1 on; latency from the RX ring to the TX ring, every "
        "forwarded frame; %u alternating rounds%s\n",
        frames.size(), static_cast<unsigned long long>(traffic.flows), file_kib, flows, mbps, rounds,
        realtime ? "; worker and feeder SCHED_FIFO" : "; shared CPUs (no --realtime)");
    Latency off_all, on_all;
    unsigned made = 0;
    // A warm-up round first (page faults, caches: not counted), then the order alternates round by round
    // (off, on / on, off / ...) so neither mode always runs first.
    (void)run_round(make_ports(made++), frames, set_path, true, mbps, pool, stamp_offset, realtime);
    for (unsigned r = 0; r < rounds; ++r) {
      for (const bool second : {false, true}) {
        const bool ips = second != (r % 2 == 1);
        Latency l = run_round(make_ports(made++), frames, set_path, ips, mbps, pool, stamp_offset, realtime);
        std::printf(
            "  round %u %-15s p50 %7.1f us  p99 %7.1f us  p99.9 %8.1f us  forwarded %zu  lost %llu  "
            "feeder late %llu  worker CPU %.0f %%\n",
            r + 1, ips ? "prevention on" : "prevention off", l.percentile(0.5), l.percentile(0.99),
            l.percentile(0.999), l.ns.size(), static_cast<unsigned long long>(l.lost),
            static_cast<unsigned long long>(l.late_sends), l.worker_cpu_share * 100);
        Latency& all = ips ? on_all : off_all;
        all.ns.insert(all.ns.end(), l.ns.begin(), l.ns.end());
      }
    }
    const double off50 = off_all.percentile(0.5), off99 = off_all.percentile(0.99);
    const double on50 = on_all.percentile(0.5), on99 = on_all.percentile(0.99);
    std::printf("reference (prevention off), all rounds: p50 %.1f us  p99 %.1f us\n", off50, off99);
    std::printf("prevention on, all rounds:              p50 %.1f us  p99 %.1f us\n", on50, on99);
    std::printf("added by prevention: p50 %+.1f us  p99 %+.1f us (goal: p99 <= +50 us)  ratio p99 %.2f\n",
                on50 - off50, on99 - off99, off99 > 0 ? on99 / off99 : 0.0);
    std::filesystem::remove(set_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ips_latency_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
