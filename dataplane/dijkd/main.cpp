// dijkd: the wire daemon. `dijkd replay` runs the DPDK dataplane on captures through net_pcap without
// hugepages; `dijkd run` (skeleton) runs it on live ports.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dijkd/counting_consumer.h"
#include "dataplane/dijkd/json_hit_sink.h"
#include "dataplane/dijkd/pcap_count.h"
#include "dataplane/dijkd/stream_factory.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/events/hit_printer.h"
#include "dataplane/events/json_text.h"

namespace {

using dijk::dpdk::CounterList;

// The exit codes every dijk command uses (config/cli): 1 says hits were found, as `dijkctl scan` does.
constexpr int kExitOk = 0;
constexpr int kExitFound = 1;
constexpr int kExitError = 2;
constexpr int kExitUsage = 64;

constexpr const char* kUsage = R"(usage:
  dijkd replay CAPTURE.pcap... [--set SET] [--json] [options]
  dijkd run --mode mirror|inline (--pci ADDR | --vdev DEV)... [--set SET] [--json] [options]

Replay runs the same dataplane as the daemon on captures (net_pcap, no hugepages, no NIC) and exits when
they are consumed: hits on stdout (JSON lines with --json), then a summary with every counter.
Exit status: 0 no hits, 1 hits reported, 2 error, 64 usage.

options:
  --set FILE          hash set file (dijk set format); without it nothing can match
  --json              hits and the summary as JSON lines
  --workers N         worker lcores (default 1)
  --no-digests        parse only: HTTP and multipart, no hashing (benchmarks)
  --max-flows N       flow table cap per worker
  --hits-file FILE    also append each hit as a JSON line to FILE, fdatasync'd before going on
  --http-ports LIST   TCP ports parsed as HTTP, e.g. 80,8080 (default 80,8080,8000)
  --file-prefix NAME  DPDK runtime file prefix, so several instances can run (default dijkd-<pid>)
  --memory MB         DPDK memory without hugepages (default 512)
  --hugepages         use hugepages (production)
  --pci ADDR          a PCI port (run; implies hugepages and PCI)
  --vdev DEV          a DPDK virtual device, e.g. net_af_packet0,iface=eth1 or net_tap0,iface=dijk0
  --mode MODE         mirror (receive only) or inline (bridge two ports, forward every frame)
)";

struct Options {
  std::string verb;
  std::vector<std::string> captures;
  std::string set_path;
  bool json = false;
  unsigned workers = 1;
  bool digests = true;
  std::uint32_t max_flows = 0;
  std::vector<std::uint16_t> http_ports;
  std::string hits_file;
  std::string file_prefix;
  unsigned memory_mb = 512;
  bool hugepages = false;
  std::vector<std::string> pci;
  std::vector<std::string> vdevs;
  dijk::dpdk::Mode mode = dijk::dpdk::Mode::mirror;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "dijkd: " << what << "\n" << kUsage;
  std::exit(kExitUsage);
}

unsigned parse_unsigned(const std::string& flag, const std::string& v) {
  try {
    std::size_t used = 0;
    const unsigned long n = std::stoul(v, &used);
    if (used != v.size() || n > 0xffffffffu) throw std::out_of_range(v);
    return static_cast<unsigned>(n);
  } catch (const std::exception&) {
    usage_error(flag + " wants a number, got '" + v + "'");
  }
}

std::vector<std::uint16_t> parse_ports(const std::string& flag, const std::string& v) {
  std::vector<std::uint16_t> ports;
  std::stringstream list(v);
  std::string port;
  while (std::getline(list, port, ',')) {
    const unsigned n = parse_unsigned(flag, port);
    if (n == 0 || n > 65535) usage_error(flag + " wants ports 1..65535");
    ports.push_back(static_cast<std::uint16_t>(n));
  }
  if (ports.empty()) usage_error(flag + " wants at least one port");
  return ports;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) usage_error("no verb");
  o.verb = argv[1];
  if (o.verb == "-h" || o.verb == "--help") {
    std::cout << kUsage;
    std::exit(0);
  }
  if (o.verb != "replay" && o.verb != "run") usage_error("unknown verb '" + o.verb + "'");
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--set")
      o.set_path = value();
    else if (a == "--json")
      o.json = true;
    else if (a == "--workers")
      o.workers = parse_unsigned(a, value());
    else if (a == "--no-digests")
      o.digests = false;
    else if (a == "--max-flows")
      o.max_flows = parse_unsigned(a, value());
    else if (a == "--hits-file")
      o.hits_file = value();
    else if (a == "--http-ports")
      o.http_ports = parse_ports(a, value());
    else if (a == "--file-prefix")
      o.file_prefix = value();
    else if (a == "--memory")
      o.memory_mb = parse_unsigned(a, value());
    else if (a == "--hugepages")
      o.hugepages = true;
    else if (a == "--pci")
      o.pci.push_back(value());
    else if (a == "--vdev")
      o.vdevs.push_back(value());
    else if (a == "--mode") {
      const std::string m = value();
      if (m == "mirror")
        o.mode = dijk::dpdk::Mode::mirror;
      else if (m == "inline")
        o.mode = dijk::dpdk::Mode::inline_bridge;
      else
        usage_error("--mode is mirror or inline");
    } else if (a == "--config") {
      usage_error("--config is not wired yet: give the options on the command line");
    } else if (!a.empty() && a[0] == '-')
      usage_error("unknown option " + a);
    else if (o.verb == "replay")
      o.captures.push_back(a);
    else
      usage_error("unexpected argument " + a);
  }
  if (o.workers == 0 || o.workers > 64) usage_error("--workers is 1..64");
  if (o.verb == "replay" && o.captures.empty()) usage_error("replay needs at least one capture");
  if (o.verb == "run" && o.pci.empty() && o.vdevs.empty()) usage_error("run needs --pci or --vdev ports");
  if (o.file_prefix.empty()) o.file_prefix = "dijkd-" + std::to_string(getpid());
  return o;
}

void print_counters_text(const char* title, const CounterList& list) {
  std::printf("%s\n", title);
  for (const auto& [name, value] : list)
    std::printf("  %-32s %llu\n", name.c_str(), static_cast<unsigned long long>(value));
}

std::string counters_json(const CounterList& list) {
  std::string j = "{";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) j += ",";
    j += "\"" + list[i].first + "\":" + std::to_string(list[i].second);
  }
  return j + "}";
}

void print_summary(const dijk::dpdk::Dataplane& dp, bool json, std::uint64_t hits) {
  std::vector<CounterList> per_worker;
  for (const auto& w : dp.workers()) per_worker.push_back(w->counter_list());
  CounterList total = dijk::dpdk::sum_counters(per_worker);
  total.emplace_back("hits_reported", hits);
  const auto ports = dp.port_reports();
  if (json) {
    std::string j = "{\"summary\":{\"workers\":[";
    for (std::size_t w = 0; w < per_worker.size(); ++w) j += (w ? "," : "") + counters_json(per_worker[w]);
    j += "],\"ports\":[";
    for (std::size_t p = 0; p < ports.size(); ++p) {
      j += (p ? "," : "");
      j += "{\"name\":" + dijk::json_string(ports[p].info.name) + ",\"rss\":\"" +
           dijk::dpdk::rss_mode_name(ports[p].info.rss) +
           "\",\"rx_timestamps\":" + (ports[p].info.rx_timestamps ? "true" : "false") +
           ",\"counters\":" + counters_json(ports[p].counters) + "}";
    }
    j += "],\"total\":" + counters_json(total) + "}}";
    std::printf("%s\n", j.c_str());
  } else {
    for (const auto& p : ports) {
      const std::string title = "port " + p.info.name + " (rss " + dijk::dpdk::rss_mode_name(p.info.rss) +
                                (p.info.rx_timestamps ? ", capture timestamps" : "") + ")";
      print_counters_text(title.c_str(), p.counters);
    }
    for (std::size_t w = 0; w < per_worker.size(); ++w) {
      const std::string title = "worker " + std::to_string(w);
      print_counters_text(title.c_str(), per_worker[w]);
    }
    print_counters_text("total", total);
  }
  std::fflush(stdout);
}

// Captures replayed together share a worker's clock. Captures taken far apart would make the stream
// stage see the earlier one's flows as idle for hours and end them, so a capture starting more than a
// minute away from the first is shifted to start with it (said on stderr; its hit times are shifted too).
void align_capture_clocks(const std::vector<std::string>& names,
                          std::vector<std::vector<std::uint64_t>>& times) {
  constexpr std::uint64_t kTolerance_ns = 60'000'000'000ull;
  const std::vector<std::uint64_t>* first = nullptr;
  for (const auto& t : times)
    if (!t.empty()) {
      first = &t;
      break;
    }
  if (first == nullptr) return;
  const std::uint64_t base = first->front();
  for (std::size_t i = 0; i < times.size(); ++i) {
    auto& t = times[i];
    if (t.empty()) continue;
    const std::uint64_t start = t.front();
    const std::uint64_t gap = start > base ? start - base : base - start;
    if (gap <= kTolerance_ns) continue;
    for (auto& v : t) v = v - start + base;
    std::fprintf(stderr,
                 "dijkd: %s starts %.0f s %s the first capture: its clock is shifted to replay beside it\n",
                 names[i].c_str(), static_cast<double>(gap) / 1e9, start > base ? "after" : "before");
  }
}

bool stop_requested(const sigset_t& signals) {
  timespec zero{};
  return sigtimedwait(&signals, nullptr, &zero) > 0;
}

int run(const Options& o) {
  // SIGINT/SIGTERM are blocked in every thread (EAL threads inherit the mask) and picked up by the main
  // lcore's supervision loop: no handler, no global flag.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  dijk::dpdk::EalOptions eal;
  eal.hugepages = o.hugepages || !o.pci.empty();
  eal.pci = !o.pci.empty();
  eal.pci_allow = o.pci;
  eal.memory_mb = eal.hugepages ? 0 : o.memory_mb;
  eal.file_prefix = o.file_prefix;
  // One main lcore and the workers; on a machine with fewer CPUs the lcores share them (tests, laptops).
  const unsigned cpus = std::thread::hardware_concurrency();
  eal.lcores =
      o.workers + 1 <= cpus ? "0-" + std::to_string(o.workers) : dijk::dpdk::lcore_map(o.workers + 1, cpus);
  dijk::dpdk::DataplaneConfig config;
  config.mode = o.mode;
  if (o.verb == "replay") {
    config.replay = true;
    std::uint64_t frames = 0;
    bool known = true;
    for (std::size_t i = 0; i < o.captures.size(); ++i) {
      if (access(o.captures[i].c_str(), R_OK) != 0) {
        std::cerr << "dijkd: cannot read " << o.captures[i] << ": " << std::strerror(errno) << "\n";
        return kExitError;
      }
      eal.vdevs.push_back(dijk::dpdk::pcap_rx_vdev(static_cast<unsigned>(i), o.captures[i]));
      if (const auto link = dijk::pcap_link_type(o.captures[i]); link && *link != 1) {
        std::cerr << "dijkd: " << o.captures[i] << ": link type " << *link
                  << ", not Ethernet (1): capture on an interface, not with tcpdump -i any\n";
        return kExitError;
      }
      auto times = dijk::read_pcap_times(o.captures[i]);
      if (times)
        frames += times->size();
      else
        known = false;
      config.replay_times.push_back(times ? std::move(*times) : std::vector<std::uint64_t>{});
    }
    config.replay_frames = known ? frames : 0;
    align_capture_clocks(o.captures, config.replay_times);
  } else {
    eal.vdevs = o.vdevs;
  }

  dijk::PrintingHitSink sink(
      stdout, o.json ? dijk::PrintingHitSink::Style::json : dijk::PrintingHitSink::Style::human);
  std::optional<dijk::JsonFileHitSink> file_sink;
  std::vector<dijk::HitSink*> sinks{&sink};
  if (!o.hits_file.empty()) sinks.push_back(&file_sink.emplace(o.hits_file));
  dijk::TeeHitSink all_sinks(sinks);
  dijk::StreamFactory streams(dijk::StreamFactoryOptions{o.set_path, o.digests, o.max_flows, o.http_ports},
                              all_sinks);
  dijk::dpdk::Eal env(eal);
  std::optional<dijk::dpdk::Dataplane> dp;
  dp.emplace(config, [&](unsigned w) { return streams.make(w); });
  std::string ports;
  for (const auto& p : dp->port_reports())
    ports +=
        (ports.empty() ? "" : ", ") + p.info.name + " (rss " + dijk::dpdk::rss_mode_name(p.info.rss) + ")";
  std::fprintf(stderr, "dijkd: %s on %s with %u worker lcore(s)\n",
               o.mode == dijk::dpdk::Mode::inline_bridge ? "inline bridge" : "mirror", ports.c_str(),
               dp->worker_count());
  dp->run([&] { return stop_requested(signals); });
  print_summary(*dp, o.json, all_sinks.hits());
  dp.reset();
  return all_sinks.hits() > 0 ? kExitFound : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "dijkd: " << e.what() << "\n";
    return kExitError;
  }
}
