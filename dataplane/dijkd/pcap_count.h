#pragma once
// Counts the records of a classic pcap file (either byte order, micro- or nanosecond) without libpcap, so
// replay knows when net_pcap has delivered the whole capture. nullopt for pcapng or a damaged file;
// replay then ends on a quiet period instead.
#include <cstdint>
#include <optional>
#include <string>

namespace dijk {

std::optional<std::uint64_t> count_pcap_records(const std::string& path);

}  // namespace dijk
