#pragma once
// `dijkd replay`: one net_pcap port per capture, and the capture times and frame count the dataplane
// needs to replay them in capture time and to know when they are consumed.
#include <string>
#include <vector>

#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal_options.h"

namespace dijk {

// Adds the ports to `eal` and the replay facts to `config`. Returns an error text ("" when fine): a
// capture that cannot be read, or that is not Ethernet.
std::string prepare_replay(const std::vector<std::string>& captures, dpdk::EalOptions& eal,
                           dpdk::DataplaneConfig& config);

}  // namespace dijk
