#pragma once
// How to start the DPDK environment abstraction layer, as a small struct instead of an argv. Kept free
// of DPDK headers so the argument building and its validation are unit tested without EAL.
#include <optional>
#include <string>
#include <vector>

namespace dijk::dpdk {

struct EalOptions {
  // Production: hugepages and real PCI ports (allow-listed). Here and in CI: no hugepages, no PCI,
  // virtual devices only.
  bool hugepages = false;
  bool pci = false;
  std::vector<std::string> pci_allow;  // e.g. "0000:3b:00.0"; empty = every bound port (only with pci)
  unsigned memory_mb = 512;            // -m; 0 = let EAL decide (hugepages only)
  bool in_memory = false;              // --in-memory: no files in /var/run (needs hugepages)
  std::string file_prefix;             // --file-prefix: lets several instances run side by side
  std::string
      lcores;  // "0-2" (-l; the first is the main lcore), or a map "0@0,1@1,2@0" (--lcores); empty = "0-1"
  std::vector<std::string> vdevs;     // e.g. "net_pcap0,rx_pcap=/x.pcap"
  std::string log_level = "*:error";  // --log-level
  // false (--no-shconf): no shared config files under /var/run/dpdk, so nothing is left behind and no
  // secondary process can attach (dijk has none).
  bool shared_config = false;
  std::vector<std::string> extra;  // passed through verbatim, last
};

// The argv for rte_eal_init (argv[0] included). Returns an error text for contradictory options.
struct EalArgs {
  std::vector<std::string> args;
  std::optional<std::string> error;
};
EalArgs build_eal_args(const EalOptions& options, const std::string& program = "dijkd");

// Maps lcores 0..n-1 onto the first `cpus` CPUs round robin ("0@0,1@1,2@0"), for more lcores than CPUs.
std::string lcore_map(unsigned lcores, unsigned cpus);

// A vdev string for a pcap file read once (replay) or forever from memory (benchmarks).
std::string pcap_rx_vdev(unsigned index, const std::string& pcap_path, bool infinite = false);

// True for a PCI address ("0000:03:00.0" or "03:00.0"): a config port that is allow-listed with -a.
// Anything else is a vdev string.
bool is_pci_address(const std::string& device);

}  // namespace dijk::dpdk
