// The wire benchmark: a generated capture of >= 1 GB of HTTP uploads over many concurrent flows, replayed
// from memory (net_pcap with infinite_rx: the whole capture is loaded into mbufs before the clock starts)
// into ONE worker lcore, through the real dataplane (decode, TCP reassembly, HTTP, multipart, digests,
// set lookups). Printed beside the reference measured in the same run: the single-core digest bound,
// MD5+SHA-1 over the same file sizes in memory (the same EVP code `openssl speed -evp` runs).
//
//   wire_bench [--gigabytes 1.0] [--flows 256] [--file-kib 1024] [--capture PATH] [--keep]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/wire/upload_traffic.h"
#include "dataplane/dijkd/pcap_count.h"
#include "dataplane/dijkd/stream_factory.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"

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

RunResult run_once(std::uint16_t port, std::uint64_t frames, const std::string& set_path, bool digests) {
  CountingSink sink;
  dijk::StreamFactory streams(dijk::StreamFactoryOptions{set_path, digests, 1u << 16}, sink);
  dijk::dpdk::DataplaneConfig config;
  config.ports = {port};
  config.mbufs_per_port = static_cast<std::uint32_t>(frames + 65536);
  config.replay = true;
  config.replay_frames = frames;
  config.replay_idle_ms = 5000;
  dijk::dpdk::Dataplane dp(config, [&](unsigned) { return streams.make(0); });
  dp.run([] { return false; });
  return {dp.last_run_seconds(), dp.workers().front()->counter_list()};
}

double digest_bound_gbps(std::size_t file_bytes, std::uint64_t total) {
  std::vector<std::uint8_t> file(file_bytes);
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
  dijk::StreamingDigests d(dijk::AlgorithmSet{}.add(dijk::Algorithm::md5).add(dijk::Algorithm::sha1));
  const std::size_t chunk = 1448;  // fed as the wire feeds it: one segment's payload at a time
  std::uint64_t done = 0;
  const auto t0 = Clock::now();
  while (done < total) {
    d.reset();
    for (std::size_t off = 0; off < file.size(); off += chunk)
      d.update({file.data() + off, std::min(chunk, file.size() - off)});
    (void)d.finish();
    done += file.size();
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(done) * 8 / s / 1e9;
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
    if (a == "--gigabytes") gigabytes = std::stod(next());
    else if (a == "--flows") flows = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--file-kib") file_kib = std::stoul(next());
    else if (a == "--capture") capture = next();
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: wire_bench [--gigabytes G] [--flows N] [--file-kib K] [--capture PATH] [--keep]\n");
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
    std::printf("capture: %s, %llu frames, %.2f GB, %llu uploads of %zu KiB over %u concurrent flows (%.1f s to write)\n",
                capture.c_str(), static_cast<unsigned long long>(traffic.frames),
                static_cast<double>(std::filesystem::file_size(capture)) / 1e9,
                static_cast<unsigned long long>(traffic.flows), file_kib, flows,
                std::chrono::duration<double>(Clock::now() - t0).count());

    // A set with MD5 and SHA-1 entries, so the stream stage computes exactly MD5+SHA-1 per file.
    const std::string set_path = capture + ".set";
    {
      dijk::SetBuilder builder;
      const auto list = builder.add_list("bench", "none");
      dijk::Digest md5{dijk::Algorithm::md5, {}};
      md5.bytes[0] = 1;
      dijk::Digest sha1{dijk::Algorithm::sha1, {}};
      sha1.bytes[0] = 1;
      builder.add(md5, list);
      builder.add(sha1, list);
      builder.write(set_path, 1);
    }

    // Memory: the whole capture in mbufs (2 KiB data room each) plus the copies net_pcap makes per burst.
    const auto memory_mb = static_cast<unsigned>((traffic.frames + 65536) * 2500 / (1u << 20) + 512);
    dijk::dpdk::EalOptions eal;
    eal.memory_mb = memory_mb;
    eal.file_prefix = "dijk-wire-bench-" + std::to_string(getpid());
    const unsigned cpus = std::thread::hardware_concurrency();
    eal.lcores = cpus >= 2 ? "0-1" : dijk::dpdk::lcore_map(2, cpus);
    eal.vdevs = {dijk::dpdk::pcap_rx_vdev(0, capture, true), dijk::dpdk::pcap_rx_vdev(1, capture, true)};
    dijk::dpdk::Eal env(eal);

    struct Row {
      const char* name;
      RunResult r;
    };
    std::vector<Row> rows;
    rows.push_back({"parse only (digests off)", run_once(0, traffic.frames, set_path, false)});
    rows.push_back({"MD5+SHA-1", run_once(1, traffic.frames, set_path, true)});
    const std::uint64_t hashed = counter(rows[1].r.counters, "stream_bytes_hashed");
    const double bound = digest_bound_gbps(spec.file_bytes, std::max<std::uint64_t>(hashed, 256u << 20));

    std::printf("\none worker lcore, frames replayed from memory (net_pcap infinite_rx):\n");
    for (const auto& row : rows) {
      const double wire = static_cast<double>(counter(row.r.counters, "rx_bytes")) * 8 / row.r.seconds / 1e9;
      const double pps = static_cast<double>(counter(row.r.counters, "rx_packets")) / row.r.seconds / 1e6;
      std::printf("  %-26s %7.2f Gbit/s on the wire  %6.2f Mpps  %6.3f s  files %llu  hashed %.2f GB  truncated %llu\n",
                  row.name, wire, pps, row.r.seconds,
                  static_cast<unsigned long long>(counter(row.r.counters, "stream_files")),
                  static_cast<double>(counter(row.r.counters, "stream_bytes_hashed")) / 1e9,
                  static_cast<unsigned long long>(counter(row.r.counters, "stream_truncated_files")));
    }
    const double with = static_cast<double>(counter(rows[1].r.counters, "rx_bytes")) * 8 / rows[1].r.seconds / 1e9;
    const double hashed_rate = static_cast<double>(hashed) * 8 / rows[1].r.seconds / 1e9;
    const double parse = static_cast<double>(counter(rows[0].r.counters, "rx_bytes")) * 8 / rows[0].r.seconds / 1e9;
    std::printf("\nreference, same run: single-core digest bound MD5+SHA-1 over %zu KiB files in 1448-byte updates: %.2f Gbit/s\n",
                file_kib, bound);
    std::printf("ratio wire with digests / digest bound:        %.2f  (goal >= 0.90)\n", with / bound);
    std::printf("ratio file bytes hashed on the wire / bound:   %.2f\n", hashed_rate / bound);
    std::printf("parse only: %.2f Gbit/s per core (goal >= 10); parse-only / digest bound: %.2f\n", parse, parse / bound);
    if (!keep) std::filesystem::remove(capture);
    std::filesystem::remove(set_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wire_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
