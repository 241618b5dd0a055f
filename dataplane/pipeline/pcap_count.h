#pragma once
// Counts the records of a classic pcap file (either byte order, micro- or nanosecond) without libpcap, so
// replay knows when net_pcap has delivered the whole capture. nullopt for pcapng or a damaged file;
// replay then ends on a quiet period instead.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dijk {

std::optional<std::uint64_t> count_pcap_records(const std::string& path);

// The capture's link type (1 = Ethernet), or nullopt if it is not classic pcap.
std::optional<std::uint32_t> pcap_link_type(const std::string& path);

// Every record's capture time in nanoseconds since the epoch, in file order. net_pcap does not stamp
// mbufs with them here, so replay hands them to the worker that receives the file's frames in order.
std::optional<std::vector<std::uint64_t>> read_pcap_times(const std::string& path);

}  // namespace dijk
