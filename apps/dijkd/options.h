#pragma once
// dijkd's command line, and how the TOML config (config/schema) fills what the command line leaves out:
// options given on the command line always win over the file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/schema/config.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal_options.h"

namespace dijk {

// The exit codes every dijk command uses (config/cli): 1 says hits were found, as `dijkctl scan` does.
constexpr int kExitOk = 0;
constexpr int kExitFound = 1;
constexpr int kExitError = 2;
constexpr int kExitUsage = 64;

struct DijkdOptions {
  std::string verb;  // replay | run
  std::vector<std::string> captures;
  std::string config_path;       // --config; empty = command line only
  std::optional<Config> config;  // loaded from config_path
  std::string set_path;
  bool json = false;
  unsigned workers = 1;
  std::vector<std::uint32_t> worker_lcores;  // from the config's dataplane.lcores; empty = 1..workers
  bool digests = true;
  std::string digest_lanes = "auto";  // hashing.digest_lanes: MD5 and SHA-1 in vector lanes
  std::uint32_t max_flows = 0;
  std::uint64_t reassembly_memory = 0;    // bytes per worker; 0 = default
  std::vector<std::uint16_t> http_ports;  // server ports followed; empty = every port
  // Prevention on the inline bridge (dataplane.ips or --ips), with the policy of [policy] (default:
  // every list blocks).
  bool ips = false;
  VerdictPolicy policy;
  std::string hits_file;
  std::string journal_dir;  // empty: no journal
  // The reporter's acknowledged position (from the config): retention deletes only what it covers.
  std::string journal_ack_state;
  std::string appliance_id = "dijk-unnamed";
  std::string file_prefix;
  unsigned memory_mb = 512;
  bool hugepages = false;
  std::vector<std::string> pci;
  std::vector<std::string> vdevs;
  // Without ports, `run --config` idles (admin socket and metrics only).
  bool has_ports() const { return !pci.empty() || !vdevs.empty(); }
  std::vector<std::string> eal_extra;
  dpdk::Mode mode = dpdk::Mode::mirror;
  bool pdq = true;
  int pdq_radius = 31;
  std::uint64_t pdq_max_pixels = 64'000'000;
  std::uint64_t pdq_max_file_bytes = 256ull << 20;
  unsigned pdq_threads = 1;
  unsigned set_poll_ms = 1000;  // how often the set file is checked for a new version (run)
};

// Exits with kExitUsage (and the usage text) on a bad command line, kExitError on a bad config file
// (every error as file:line:column).
DijkdOptions parse_dijkd_options(int argc, char** argv);

// The EAL options for these: config or command line, plus a replay's net_pcap ports (given by the caller).
dpdk::EalOptions eal_options_for(const DijkdOptions& o);

}  // namespace dijk
