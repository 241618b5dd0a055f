#include "apps/dijkd/replay_setup.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dataplane/pipeline/pcap_count.h"

namespace dijk {

namespace {

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

}  // namespace

std::string prepare_replay(const std::vector<std::string>& captures, dpdk::EalOptions& eal,
                           dpdk::DataplaneConfig& config) {
  config.replay = true;
  std::uint64_t frames = 0;
  bool known = true;
  for (std::size_t i = 0; i < captures.size(); ++i) {
    if (access(captures[i].c_str(), R_OK) != 0)
      return "cannot read " + captures[i] + ": " + std::strerror(errno);
    if (const auto link = pcap_link_type(captures[i]); link && *link != 1)
      return captures[i] + ": link type " + std::to_string(*link) +
             ", not Ethernet (1): capture on an interface, not with tcpdump -i any";
    eal.vdevs.push_back(dpdk::pcap_rx_vdev(static_cast<unsigned>(i), captures[i]));
    auto times = read_pcap_times(captures[i]);
    if (times)
      frames += times->size();
    else
      known = false;
    config.replay_times.push_back(times ? std::move(*times) : std::vector<std::uint64_t>{});
  }
  config.replay_frames = known ? frames : 0;
  align_capture_clocks(captures, config.replay_times);
  return {};
}

}  // namespace dijk
