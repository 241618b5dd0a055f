#pragma once
// The wire dataplane on an initialised EAL: sets up the ports for the mode, gives every worker lcore its
// RX queues, runs the workers, and supervises from the main lcore until told to stop or, in replay,
// until the capture is consumed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/segment_consumer.h"
#include "dataplane/dpdk/worker.h"

namespace dijk::dpdk {

enum class Mode : std::uint8_t {
  mirror,         // receive only (SPAN/TAP port, or a capture)
  inline_bridge,  // two ports bridged: every frame forwarded unchanged, fingerprinted on the side
};

struct DataplaneConfig {
  Mode mode = Mode::mirror;
  // mirror: every port is received; inline: exactly two ports, bridged to each other. Empty = all ports.
  std::vector<std::uint16_t> ports;
  // inline only: inspect each burst before forwarding it, so a block verdict can drop a frame and reset
  // its connection (prevention, dataplane.ips). Off: every frame is forwarded before it is inspected.
  bool ips = false;
  std::uint32_t mbufs_per_port = 16383;
  std::uint16_t mbuf_data_room = 2048 + 128;  // RTE_MBUF_DEFAULT_BUF_SIZE; frames up to ~1.5 KB need 1664
  // Replay from an endless source (net_pcap infinite_rx in benchmarks): each worker stops receiving after
  // this many frames, so counters cover exactly one pass. 0 = no limit.
  std::uint64_t worker_frame_budget = 0;
  std::uint32_t frag_max_datagrams = 4096;
  std::uint32_t frag_timeout_ms = 2000;
  // Replay: stop once the ports have received this many frames (0 = unknown) or have been idle this long.
  bool replay = false;
  std::uint64_t replay_frames = 0;
  std::uint32_t replay_idle_ms = 1500;
  // Replay: each port's frames' capture times in order (same order as `ports`, or as the ports were
  // created), for ports that do not stamp mbufs themselves. Empty = wall clock.
  std::vector<std::vector<std::uint64_t>> replay_times;
};

// Makes the stream consumer for one worker (index 0..workers-1), called on the main lcore before launch.
using ConsumerFactory = std::function<std::unique_ptr<SegmentConsumer>(unsigned worker_index)>;

struct PortReport {
  PortInfo info;
  CounterList counters;  // ipackets, ierrors, imissed, rx_nombuf, opackets, oerrors
};

class Dataplane {
 public:
  Dataplane(DataplaneConfig config, const ConsumerFactory& make_consumer);  // throws DpdkError
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Runs the workers until `stop` is set (by the caller, or by replay end detection). Blocks SIGINT and
  // SIGTERM handling is the caller's; `should_stop` is polled by the main lcore every few milliseconds.
  void run(const std::function<bool()>& should_stop);

  // Seconds from launching the workers to the end of the capture being detected (replay), or to stop.
  double last_run_seconds() const { return last_run_seconds_; }
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }
  // The lcore each worker runs on, by worker index.
  const std::vector<unsigned>& worker_lcores() const { return worker_lcores_; }
  std::vector<PortReport> port_reports() const;

 private:
  void set_up(const ConsumerFactory& make_consumer);
  void release();
  std::uint64_t received_frames() const;

  DataplaneConfig config_;
  std::vector<rte_mempool*> pools_;
  std::vector<PortInfo> ports_;
  std::vector<unsigned> worker_lcores_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};
  double last_run_seconds_ = 0;
};

// Sums per-worker counter lists (same names, same order) into one.
CounterList sum_counters(const std::vector<CounterList>& lists);

}  // namespace dijk::dpdk
