#include "dataplane/dpdk/eal_options.h"

#include <cctype>
#include <regex>

namespace dijk::dpdk {

EalArgs build_eal_args(const EalOptions& o, const std::string& program) {
  EalArgs out;
  auto& a = out.args;
  a.push_back(program);
  if (o.in_memory && !o.hugepages) {
    // EAL refuses --in-memory with --no-huge; say why instead of letting it fail later.
    out.error = "--in-memory needs hugepages; without hugepages (--no-huge) leave in_memory off";
    return out;
  }
  if (!o.hugepages && o.memory_mb == 0) {
    out.error = "without hugepages the memory size (-m) must be given";
    return out;
  }
  if (!o.pci && !o.pci_allow.empty()) {
    out.error = "PCI devices were listed but PCI is disabled";
    return out;
  }
  for (char c : o.file_prefix) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      out.error = "file prefix may contain only letters, digits, '_', '-' and '.'";
      return out;
    }
  }
  // "0-2" is a core list (-l); "0@0,1@1,2@1" maps lcores to CPUs (--lcores), for more lcores than CPUs.
  const std::string lcores = o.lcores.empty() ? "0-1" : o.lcores;
  a.push_back(lcores.find('@') == std::string::npos ? "-l" : "--lcores");
  a.push_back(lcores);
  if (!o.hugepages) a.push_back("--no-huge");
  if (o.memory_mb != 0) {
    a.push_back("-m");
    a.push_back(std::to_string(o.memory_mb));
  }
  if (o.in_memory) a.push_back("--in-memory");
  if (!o.pci) a.push_back("--no-pci");
  for (const auto& dev : o.pci_allow) {
    a.push_back("-a");
    a.push_back(dev);
  }
  if (!o.file_prefix.empty()) {
    a.push_back("--file-prefix");
    a.push_back(o.file_prefix);
  }
  for (const auto& v : o.vdevs) {
    a.push_back("--vdev");
    a.push_back(v);
  }
  if (!o.log_level.empty()) {
    a.push_back("--log-level");
    a.push_back(o.log_level);
  }
  a.push_back("--no-telemetry");
  if (!o.shared_config) a.push_back("--no-shconf");
  for (const auto& e : o.extra) a.push_back(e);
  return out;
}

std::string lcore_map(unsigned lcores, unsigned cpus) {
  std::string map;
  for (unsigned l = 0; l < lcores; ++l) {
    if (l) map += ",";
    map += std::to_string(l) + "@" + std::to_string(cpus == 0 ? 0 : l % cpus);
  }
  return map;
}

std::string pcap_rx_vdev(unsigned index, const std::string& pcap_path, bool infinite) {
  std::string v = "net_pcap" + std::to_string(index) + ",rx_pcap=" + pcap_path;
  // No tx_pcap/tx_iface: net_pcap then drops anything sent, which keeps replay receive-only.
  if (infinite) v += ",infinite_rx=1";
  return v;
}

bool is_pci_address(const std::string& device) {
  static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
  return std::regex_match(device, pci);
}

}  // namespace dijk::dpdk
