#include "apps/dijkd/options.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "config/cli/version.h"
#include "config/schema/loader.h"

namespace dijk {

namespace {

constexpr const char* kUsage = R"(usage:
  dijkd --help | --version
  dijkd replay CAPTURE.pcap... [--set SET | --config FILE] [--json] [options]
  dijkd [run] --config FILE [options]
  dijkd run --mode mirror|inline (--pci ADDR | --vdev DEV)... [--set SET] [--json] [options]

Replay runs the same dataplane as the daemon on captures (net_pcap, no hugepages, no NIC) and exits when
they are consumed: hits on stdout (JSON lines with --json), then a summary with every counter.
Run serves live ports until SIGINT/SIGTERM; with --config it also serves the admin socket (dijkctl),
the metrics endpoint and reloads on SIGHUP. Options given here override the config file.
Exit status: 0 no hits, 1 hits reported, 2 error, 64 usage.

options:
  --config FILE       the TOML config (/etc/dijk/dijk.toml): dataplane, hashing, paths, admin, metrics
  --set FILE          hash set file (dijk set format); watched for a new version while running
  --json              hits and the summary as JSON lines
  --workers N         worker lcores (default 1, or the config's dataplane.lcores)
  --no-digests        parse only: HTTP and multipart, no hashing (benchmarks)
  --no-pdq            no PDQ stage (images are not queued for perceptual hashing)
  --max-flows N       flow table cap per worker
  --journal DIR       the hit journal (run: paths.journal of the config): a hit is reported only once
                      it is durable there
  --hits-file FILE    also append each hit as a JSON line to FILE, fdatasync'd before going on
  --http-ports LIST   only connections to these server ports, e.g. 80,8080; "any" (the default) is every
                      port: HTTP is told by a flow's first bytes, other flows are bypassed
  --set-poll-ms N     how often the set file is checked for a new version (default 1000)
  --file-prefix NAME  DPDK runtime file prefix, so several instances can run (default dijkd-<pid>)
  --memory MB         DPDK memory without hugepages (default 512)
  --hugepages         use hugepages (production)
  --pci ADDR          a PCI port (run; implies hugepages and PCI)
  --vdev DEV          a DPDK virtual device, e.g. net_af_packet0,iface=eth1 or net_tap0,iface=dijk0
  --mode MODE         mirror (receive only) or inline (bridge two ports, forward every frame)
  --ips               inline: prevention; a hit on a list [policy] says to block drops the frame that ends
                      the file and resets both ends (exact digests; PDQ hits are reported only)
)";

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

// A comma-separated port list, or "any": no filter (an empty list).
std::vector<std::uint16_t> parse_ports(const std::string& flag, const std::string& v) {
  std::vector<std::uint16_t> ports;
  if (v == "any") return ports;
  std::stringstream list(v);
  std::string port;
  while (std::getline(list, port, ',')) {
    const unsigned n = parse_unsigned(flag, port);
    if (n == 0 || n > 65535) usage_error(flag + " wants ports 1..65535");
    ports.push_back(static_cast<std::uint16_t>(n));
  }
  if (ports.empty()) usage_error(flag + " wants at least one port, or any");
  return ports;
}

// What the command line said explicitly, so the config fills only the rest.
struct Given {
  bool set = false, workers = false, max_flows = false, http_ports = false, memory = false, hugepages = false,
       ports = false, mode = false, pdq = false, ips = false;
};

void apply_config(const Config& c, const Given& given, DijkdOptions& o) {
  const auto& dp = c.dataplane;
  if (!given.set) o.set_path = c.paths.set;
  if (!given.workers) {
    o.workers = static_cast<unsigned>(dp.lcores.size());
    o.worker_lcores = dp.lcores;
  }
  const std::uint64_t workers = o.workers == 0 ? 1 : o.workers;
  // The config's caps are for the appliance; each worker owns its share.
  if (!given.max_flows)
    o.max_flows =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(dp.flow_table_cap / workers, 0xffffffffu));
  o.reassembly_memory = (dp.reassembly_memory_mb << 20) / workers;
  if (!given.http_ports) o.http_ports = dp.http_ports;
  if (!given.memory) o.memory_mb = dp.eal.memory_mb;
  if (!given.hugepages) o.hugepages = dp.eal.hugepages;
  o.eal_extra = dp.eal.extra_args;
  if (!given.ports && o.verb == "run")
    for (const auto& port : dp.ports)
      (dpdk::is_pci_address(port.device) ? o.pci : o.vdevs).push_back(port.device);
  if (!given.mode) o.mode = dp.mode == CaptureMode::kInline ? dpdk::Mode::inline_bridge : dpdk::Mode::mirror;
  if (!given.pdq) o.pdq = c.hashing.pdq;
  o.digest_lanes = c.hashing.digest_lanes;
  if (!given.ips) o.ips = dp.ips;
  o.policy = VerdictPolicy(c.policy.default_action, c.policy.lists, c.policy.categories);
  o.pdq_radius = static_cast<int>(c.hashing.pdq_max_distance);
  o.pdq_max_pixels = c.hashing.max_pixels;
  o.pdq_max_file_bytes = c.hashing.max_file_size_mb << 20;
  // A live daemon's hits go to the configured journal; a replay writes one only when told (--journal).
  if (o.journal_dir.empty() && o.verb == "run") o.journal_dir = c.paths.journal;
  o.journal_ack_state = reporter_ack_state_path(c);
  o.appliance_id = c.appliance_id;
}

}  // namespace

DijkdOptions parse_dijkd_options(int argc, char** argv) {
  DijkdOptions o;
  Given given;
  if (argc < 2) usage_error("no verb");
  o.verb = argv[1];
  if (o.verb == "--version") {
    std::cout << "dijkd " << cli::dijk_version() << "\n";
    std::exit(kExitOk);
  }
  // Help asked for anywhere (`dijkd --help`, `dijkd help`, `dijkd run --help`) is an answer, not an error.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help" || (i == 1 && a == "help")) {
      std::cout << kUsage;
      std::exit(kExitOk);
    }
  }
  // No verb is `run`: the systemd unit starts `dijkd --config /etc/dijk/dijk.toml`.
  int first = 2;
  if (!o.verb.empty() && o.verb[0] == '-') {
    o.verb = "run";
    first = 1;
  }
  if (o.verb != "replay" && o.verb != "run") usage_error("unknown verb '" + o.verb + "'");
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--config")
      o.config_path = value();
    else if (a == "--set")
      o.set_path = value(), given.set = true;
    else if (a == "--json")
      o.json = true;
    else if (a == "--workers")
      o.workers = parse_unsigned(a, value()), given.workers = true;
    else if (a == "--no-digests")
      o.digests = false;
    else if (a == "--ips")
      o.ips = true, given.ips = true;
    else if (a == "--no-pdq")
      o.pdq = false, given.pdq = true;
    else if (a == "--max-flows")
      o.max_flows = parse_unsigned(a, value()), given.max_flows = true;
    else if (a == "--journal")
      o.journal_dir = value();
    else if (a == "--hits-file")
      o.hits_file = value();
    else if (a == "--http-ports")
      o.http_ports = parse_ports(a, value()), given.http_ports = true;
    else if (a == "--set-poll-ms")
      o.set_poll_ms = parse_unsigned(a, value());
    else if (a == "--file-prefix")
      o.file_prefix = value();
    else if (a == "--memory")
      o.memory_mb = parse_unsigned(a, value()), given.memory = true;
    else if (a == "--hugepages")
      o.hugepages = true, given.hugepages = true;
    else if (a == "--pci")
      o.pci.push_back(value()), given.ports = true;
    else if (a == "--vdev")
      o.vdevs.push_back(value()), given.ports = true;
    else if (a == "--mode") {
      const std::string m = value();
      given.mode = true;
      if (m == "mirror")
        o.mode = dpdk::Mode::mirror;
      else if (m == "inline")
        o.mode = dpdk::Mode::inline_bridge;
      else
        usage_error("--mode is mirror or inline");
    } else if (!a.empty() && a[0] == '-')
      usage_error("unknown option " + a);
    else if (o.verb == "replay")
      o.captures.push_back(a);
    else
      usage_error("unexpected argument " + a);
  }
  if (!o.config_path.empty()) {
    auto loaded = load_config_file(o.config_path);
    if (!loaded.ok()) {
      std::cerr << loaded.error_text();
      std::exit(kExitError);
    }
    apply_config(loaded.config, given, o);
    o.config = std::move(loaded.config);
  }
  if (o.workers == 0 || o.workers > 64) usage_error("--workers is 1..64");
  if (o.verb == "replay" && o.captures.empty()) usage_error("replay needs at least one capture");
  if (o.ips && o.mode != dpdk::Mode::inline_bridge)
    usage_error("--ips needs --mode inline: only a bridge has frames to drop");
  // With a config and no ports (a fresh appliance), run idles: admin socket and metrics up, nothing to poll.
  if (o.verb == "run" && !o.has_ports() && !o.config)
    usage_error("run needs --pci or --vdev ports (or --config)");
  if (o.file_prefix.empty()) o.file_prefix = "dijkd-" + std::to_string(getpid());
  return o;
}

dpdk::EalOptions eal_options_for(const DijkdOptions& o) {
  dpdk::EalOptions eal;
  eal.hugepages = o.hugepages || !o.pci.empty();
  eal.pci = !o.pci.empty();
  eal.pci_allow = o.pci;
  eal.memory_mb = eal.hugepages && !o.config ? 0 : o.memory_mb;
  eal.file_prefix = o.file_prefix;
  eal.extra = o.eal_extra;
  const unsigned cpus = std::thread::hardware_concurrency();
  if (!o.worker_lcores.empty()) {
    // The config names the worker lcores; lcore 0 is the main lcore (docs/operations.md).
    bool fits = true;
    std::string list = "0";
    for (const auto l : o.worker_lcores) {
      list += "," + std::to_string(l);
      fits = fits && l < cpus;
    }
    // On a machine with fewer CPUs than the config's lcores (test rigs) they share the CPUs.
    eal.lcores = fits ? list : dpdk::lcore_map(o.workers + 1, cpus);
  } else {
    // One main lcore and the workers; on a machine with fewer CPUs the lcores share them.
    eal.lcores =
        o.workers + 1 <= cpus ? "0-" + std::to_string(o.workers) : dpdk::lcore_map(o.workers + 1, cpus);
  }
  if (o.verb == "run") eal.vdevs = o.vdevs;
  return eal;
}

}  // namespace dijk
