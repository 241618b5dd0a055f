#include "config/schema/eal_args.h"

#include <algorithm>
#include <regex>
#include <set>

namespace dijk {

bool is_pci_address(const std::string& device) {
  static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
  return std::regex_match(device, pci);
}

std::vector<std::string> eal_arguments(const Config& config, const std::string& program) {
  const auto& d = config.dataplane;
  std::set<std::uint32_t> lcores(d.lcores.begin(), d.lcores.end());
  lcores.insert(0);
  std::string list;
  for (const auto l : lcores) list += (list.empty() ? "" : ",") + std::to_string(l);
  std::vector<std::string> args = {program, "-l", list, "-m", std::to_string(d.eal.memory_mb)};
  if (!d.eal.hugepages) args.push_back("--no-huge");
  bool any_pci = false;
  for (const auto& port : d.ports) {
    if (is_pci_address(port.device)) {
      any_pci = true;
      args.insert(args.end(), {"-a", port.device});
    } else {
      args.insert(args.end(), {"--vdev", port.device});
    }
  }
  if (!any_pci) args.push_back("--no-pci");
  args.insert(args.end(), d.eal.extra_args.begin(), d.eal.extra_args.end());
  return args;
}

}  // namespace dijk
