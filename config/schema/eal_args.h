// The DPDK EAL command line that [dataplane] and [dataplane.eal] stand for, so dijkd and the docs agree on
// one translation: lcore 0 is the main (control) lcore and `dataplane.lcores` are the workers.
#pragma once

#include <string>
#include <vector>

#include "config/schema/config.h"

namespace dijk {

// e.g. {"dijkd", "-l", "0,1,2", "-m", "1024", "-a", "0000:03:00.0", "--vdev", "net_pcap0,iface=eth1"}.
// PCI ports are allow-listed with -a (so no other device is touched); with none, --no-pci.
std::vector<std::string> eal_arguments(const Config& config, const std::string& program = "dijkd");

// True for a PCI address ("0000:03:00.0" or "03:00.0"), false for a vdev string.
bool is_pci_address(const std::string& device);

}  // namespace dijk
