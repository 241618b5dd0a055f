// The wire benchmark: a generated capture of >= 1 GB of HTTP uploads over many concurrent flows, replayed
// from memory (net_pcap with infinite_rx: the whole capture is loaded into mbufs before the clock starts)
// into ONE worker lcore, through the real dataplane (decode, TCP reassembly, HTTP, multipart, digests,
// set lookups). Printed beside the reference measured in the same run: the single-core digest bound,
// MD5+SHA-1 over the same file sizes in memory (the same EVP code `openssl speed -evp` runs).
//
//   wire_bench [--gigabytes 1.0] [--flows 256] [--file-kib 1024] [--capture PATH] [--keep]
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "apps/dijkd/hit_lanes.h"
#include "bench/wire/upload_traffic.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/pcap_count.h"
#include "dataplane/pipeline/wire_stages.h"
#include "hashcore/digest/streaming_digests.h"

namespace {

using Clock = std::chrono::steady_clock;

class CountingSink : public dijk::HitSink {
 public:
  void on_hit(const dijk::HitEvent&) override { ++hits; }
  std::uint64_t hits = 0;
};

std::uint64_t counter(const dijk::dpdk::CounterList& list, const std::string& name) {
  for (const auto& [n, v] : list)
    if (n == name) return v;
  return 0;
}

struct RunResult {
  double seconds = 0;
  dijk::dpdk::CounterList counters;
};

// `lanes` unset: MD5 and SHA-1 in the widest lanes the CPU has (or DIJK_DIGEST_LANES); none: the old path.
RunResult run_once(std::uint16_t port, std::uint64_t frames, const std::string& set_path, bool digests,
                   std::optional<dijk::digest_lanes::LaneIsa> lanes = std::nullopt) {
  CountingSink sink;
  dijk::LiveSet set(set_path);
  dijk::HitLanes hits(sink, std::nullopt);
  dijk::StreamFactoryOptions options;
  options.digests = digests;
  options.max_flows = 1u << 16;
  options.digest_lanes = lanes;
  dijk::StreamFactory streams(options, hits, set, nullptr);
  dijk::dpdk::DataplaneConfig config;
  config.ports = {port};
  config.mbufs_per_port = static_cast<std::uint32_t>(frames + 65536);
  config.replay = true;
  config.replay_frames = frames;
  config.replay_idle_ms = 5000;
  config.worker_frame_budget = frames;  // exactly one pass of the endlessly replayed capture
  config.mbuf_data_room = 128 + 1536;   // the capture's frames are <= 1514 bytes: the whole capture fits
  dijk::dpdk::Dataplane dp(config, [&](unsigned) { return streams.make(0); });
  dp.run([] { return false; });
  return {dp.last_run_seconds(), dp.workers().front()->counter_list()};
}

std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// `openssl speed -evp ALG -bytes 1448`: bytes per second, or 0 if openssl is not there.
double openssl_speed(const char* algorithm) {
  const std::string cmd =
      std::string("openssl speed -seconds 1 -bytes 1448 -evp ") + algorithm + " 2>/dev/null | tail -1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  std::array<char, 256> line{};
  const bool got = std::fgets(line.data(), static_cast<int>(line.size()), p) != nullptr;
  pclose(p);
  if (!got) return 0;
  const std::string text = line.data();
  const auto name_end = text.find_first_of(" \t");  // "md5   555399.71k": skip the name, it has digits
  const auto at = name_end == std::string::npos ? name_end : text.find_first_of("0123456789", name_end);
  return at == std::string::npos ? 0 : std::stod(text.substr(at)) * 1000;  // "556823.57k"
}

struct Bound {
  double wall_gbps = 0;
  double cpu_gbps = 0;
};

Bound digest_bound(std::size_t file_bytes, std::uint64_t total) {
  std::vector<std::uint8_t> file(file_bytes);
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
  dijk::StreamingDigests d(dijk::AlgorithmSet{}.add(dijk::Algorithm::md5).add(dijk::Algorithm::sha1));
  const std::size_t chunk = 1448;  // fed as the wire feeds it: one segment's payload at a time
  std::uint64_t done = 0;
  const auto t0 = Clock::now();
  const std::uint64_t c0 = thread_cpu_ns();
  while (done < total) {
    d.reset();
    for (std::size_t off = 0; off < file.size(); off += chunk)
      d.update({file.data() + off, std::min(chunk, file.size() - off)});
    (void)d.finish();
    done += file.size();
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = static_cast<double>(thread_cpu_ns() - c0) / 1e9;
  return {static_cast<double>(done) * 8 / s / 1e9, static_cast<double>(done) * 8 / cpu / 1e9};
}

}  // namespace

int main(int argc, char** argv) {
  double gigabytes = 1.0;
  unsigned flows = 256;
  std::size_t file_kib = 1024;
  std::string capture = (std::filesystem::temp_directory_path() / "dijk_wire_bench.pcap").string();
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--gigabytes")
      gigabytes = std::stod(next());
    else if (a == "--flows")
      flows = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--file-kib")
      file_kib = std::stoul(next());
    else if (a == "--capture")
      capture = next();
    else if (a == "--keep")
      keep = true;
    else {
      std::fprintf(
          stderr, "usage: wire_bench [--gigabytes G] [--flows N] [--file-kib K] [--capture PATH] [--keep]\n");
      return 2;
    }
  }
  try {
    dijk::bench::TrafficSpec spec;
    spec.total_bytes = static_cast<std::uint64_t>(gigabytes * 1e9);
    spec.concurrent_flows = flows;
    spec.file_bytes = file_kib * 1024;
    dijk::bench::TrafficStats traffic;
    const auto t0 = Clock::now();
    if (keep && std::filesystem::exists(capture)) {
      traffic.frames = dijk::count_pcap_records(capture).value_or(0);
    } else {
      traffic = dijk::bench::write_upload_capture(capture, spec);
    }
    std::printf(
        "capture: %s, %llu frames, %.2f GB, %llu uploads (0: reused with --keep) of %zu KiB over %u "
        "concurrent flows (%.1f s)\n",
        capture.c_str(), static_cast<unsigned long long>(traffic.frames),
        static_cast<double>(std::filesystem::file_size(capture)) / 1e9,
        static_cast<unsigned long long>(traffic.flows), file_kib, flows,
        std::chrono::duration<double>(Clock::now() - t0).count());

    // A set with MD5 and SHA-1 entries, so the stream stage computes exactly MD5+SHA-1 per file.
    const std::string set_path = capture + ".set";
    dijk::bench::write_md5_sha1_decoy_set(set_path);

    // Memory: the whole capture in mbufs (2 KiB data room each) plus the copies net_pcap makes per burst.
    const auto memory_mb = static_cast<unsigned>((traffic.frames + 65536) * 2000 / (1u << 20) + 512);
    dijk::dpdk::EalOptions eal;
    eal.memory_mb = memory_mb;
    eal.file_prefix = "dijk-wire-bench-" + std::to_string(getpid());
    const unsigned cpus = std::thread::hardware_concurrency();
    eal.lcores = cpus >= 2 ? "0-1" : dijk::dpdk::lcore_map(2, cpus);
    eal.vdevs = {dijk::dpdk::pcap_rx_vdev(0, capture, true), dijk::dpdk::pcap_rx_vdev(1, capture, true),
                 dijk::dpdk::pcap_rx_vdev(2, capture, true)};
    dijk::dpdk::Eal env(eal);

    // The reference is measured before and after the wire runs, and averaged: others share this CPU.
    const std::uint64_t bound_bytes =
        traffic.file_bytes == 0 ? 512ull << 20 : std::min<std::uint64_t>(traffic.file_bytes, 512ull << 20);
    const Bound before = digest_bound(spec.file_bytes, bound_bytes / 2);
    struct Row {
      const char* name;
      RunResult r;
    };
    std::vector<Row> rows;
    rows.push_back({"parse only (digests off)", run_once(0, traffic.frames, set_path, false)});
    rows.push_back({"MD5+SHA-1", run_once(1, traffic.frames, set_path, true)});
    rows.push_back({"MD5+SHA-1, lanes off",
                    run_once(2, traffic.frames, set_path, true, dijk::digest_lanes::LaneIsa::none)});
    const Bound after = digest_bound(spec.file_bytes, bound_bytes / 2);
    const Bound bound{(before.wall_gbps + after.wall_gbps) / 2, (before.cpu_gbps + after.cpu_gbps) / 2};

    std::printf("\none worker lcore, the capture replayed from memory (net_pcap infinite_rx), one pass:\n");
    const auto rate = [](const RunResult& r, const char* what, double seconds) {
      return static_cast<double>(counter(r.counters, what)) * 8 / seconds / 1e9;
    };
    for (const auto& row : rows) {
      const double cpu_s = static_cast<double>(counter(row.r.counters, "cpu_ns")) / 1e9;
      std::printf(
          "  %-25s %6.2f Gbit/s wall  %6.2f Gbit/s per CPU-second  (%.2f s wall, %.2f s CPU)  "
          "files %llu  hashed %.2f GB  truncated %llu\n",
          row.name, rate(row.r, "rx_bytes", row.r.seconds), rate(row.r, "rx_bytes", cpu_s), row.r.seconds,
          cpu_s, static_cast<unsigned long long>(counter(row.r.counters, "stream_files")),
          static_cast<double>(counter(row.r.counters, "stream_bytes_hashed")) / 1e9,
          static_cast<unsigned long long>(counter(row.r.counters, "stream_truncated_files")));
      std::printf(
          "  %-25s %.0f flows/s per CPU-second set up and torn down (%llu flows), %.2f Mpps per CPU-second\n",
          "", static_cast<double>(counter(row.r.counters, "stream_flows")) / cpu_s,
          static_cast<unsigned long long>(counter(row.r.counters, "stream_flows")),
          static_cast<double>(counter(row.r.counters, "rx_packets")) / cpu_s / 1e6);
    }
    const double cpu_with = static_cast<double>(counter(rows[1].r.counters, "cpu_ns")) / 1e9;
    const double cpu_parse = static_cast<double>(counter(rows[0].r.counters, "cpu_ns")) / 1e9;
    const double with_cpu = rate(rows[1].r, "rx_bytes", cpu_with);
    const double parse_cpu = rate(rows[0].r, "rx_bytes", cpu_parse);
    std::printf(
        "\nreference, same run: single-core digest bound, MD5+SHA-1 over %zu KiB files in 1448-byte updates\n"
        "  (the EVP code `openssl speed -evp md5/sha1` runs): %.2f Gbit/s wall (before %.2f, after %.2f), "
        "%.2f Gbit/s per CPU-second\n",
        file_kib, bound.wall_gbps, before.wall_gbps, after.wall_gbps, bound.cpu_gbps);
    // openssl speed measures each digest alone; one pass computing both takes the sum of their times.
    const double md5 = openssl_speed("md5"), sha1 = openssl_speed("sha1");
    if (md5 > 0 && sha1 > 0)
      std::printf(
          "  openssl speed -evp md5 / sha1, 1448-byte blocks, same run: %.2f / %.2f Gbit/s, both in one pass "
          "%.2f Gbit/s (openssl speed counts user CPU time: compare per CPU-second)\n",
          md5 * 8 / 1e9, sha1 * 8 / 1e9, 8 / (1 / md5 + 1 / sha1) / 1e9);
    std::printf("ratio wire with MD5+SHA-1 / digest bound (per CPU-second): %.2f   (goal >= 0.90)\n",
                with_cpu / bound.cpu_gbps);
    std::printf("ratio wire with MD5+SHA-1 / digest bound (wall):           %.2f\n",
                rate(rows[1].r, "rx_bytes", rows[1].r.seconds) / bound.wall_gbps);
    std::printf("parse only: %.2f Gbit/s per CPU-second (goal >= 10), %.2f x the digest bound\n", parse_cpu,
                parse_cpu / bound.cpu_gbps);
    const double cpu_old = static_cast<double>(counter(rows[2].r.counters, "cpu_ns")) / 1e9;
    const double old_cpu = rate(rows[2].r, "rx_bytes", cpu_old);
    std::printf(
        "ratio MD5+SHA-1 in %s lanes / old path, lanes off (per CPU-second): %.2f   (goal >= 2)\n",
        std::string(dijk::digest_lanes::lane_isa_name(dijk::digest_lanes::lane_isa_from_environment()))
            .c_str(),
        with_cpu / old_cpu);
    if (!keep) std::filesystem::remove(capture);
    std::filesystem::remove(set_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wire_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
