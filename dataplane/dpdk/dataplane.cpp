#include "dataplane/dpdk/dataplane.h"

#include <chrono>
#include <thread>

#include "dataplane/dpdk/dpdk_compat.h"
#include "dataplane/dpdk/eal.h"

namespace dijk::dpdk {
namespace {

int worker_main(void* arg) {
  auto* self = static_cast<std::pair<Worker*, const std::atomic<bool>*>*>(arg);
  self->first->run(*self->second);
  return 0;
}

}  // namespace

Dataplane::Dataplane(DataplaneConfig config, const ConsumerFactory& make_consumer)
    : config_(std::move(config)) {
  try {
    set_up(make_consumer);
  } catch (...) {
    release();  // ports already started and pools already made, since no destructor will run
    throw;
  }
}

void Dataplane::set_up(const ConsumerFactory& make_consumer) {
  for (unsigned lcore = next_worker_lcore(static_cast<unsigned>(-1)); lcore < RTE_MAX_LCORE;
       lcore = next_worker_lcore(lcore))
    worker_lcores_.push_back(lcore);
  if (worker_lcores_.empty()) throw DpdkError("no worker lcores: give at least two lcores (-l 0-1)");
  if (config_.ports.empty()) config_.ports = all_ports();
  if (config_.ports.empty()) throw DpdkError("no Ethernet ports (no PCI port bound, no --vdev)");
  if (config_.mode == Mode::inline_bridge && config_.ports.size() != 2)
    throw DpdkError("inline mode bridges exactly two ports, got " + std::to_string(config_.ports.size()));
  if (config_.ips && config_.mode != Mode::inline_bridge)
    throw DpdkError("prevention (ips) needs inline mode: a mirror port has no frame to drop");

  // The RX timestamp dynfield (net_pcap fills it with the capture time when the offload is on).
  int ts_offset = -1;
  std::uint64_t ts_flag = 0;
  if (rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag) != 0) ts_offset = -1;

  const unsigned workers = static_cast<unsigned>(worker_lcores_.size());
  std::vector<WorkerSetup> setups(workers);
  for (unsigned w = 0; w < workers; ++w) {
    setups[w].index = w;
    setups[w].socket = rte_lcore_to_socket_id(worker_lcores_[w]);
    setups[w].frag_max_datagrams = config_.frag_max_datagrams;
    setups[w].frag_timeout_ms = config_.frag_timeout_ms;
    setups[w].timestamp_offset = ts_offset;
    setups[w].timestamp_flag = ts_flag;
    setups[w].frame_budget = config_.worker_frame_budget;
  }

  // One mempool and one queue per worker on each port, as far as the port allows (a pcap vdev has one).
  std::vector<std::uint16_t> queues_of;
  for (std::size_t i = 0; i < config_.ports.size(); ++i) {
    const std::uint16_t port = config_.ports[i];
    rte_eth_dev_info dev{};
    if (rte_eth_dev_info_get(port, &dev) != 0) throw DpdkError("no such port " + std::to_string(port));
    const std::uint16_t queues =
        static_cast<std::uint16_t>(std::min<unsigned>({workers, dev.max_rx_queues, dev.max_tx_queues}));
    if (config_.mode == Mode::inline_bridge && queues != workers)
      throw DpdkError("inline mode needs one queue per worker on both ports");
    const std::string pool_name = "dijk_pool_" + std::to_string(port);
    const int socket = rte_eth_dev_socket_id(port);
    rte_mempool* pool = rte_pktmbuf_pool_create(pool_name.c_str(), config_.mbufs_per_port, 256, 0,
                                                config_.mbuf_data_room, socket < 0 ? 0 : socket);
    if (pool == nullptr) throw DpdkError(dpdk_error_text("rte_pktmbuf_pool_create", rte_errno));
    pools_.push_back(pool);
    PortSetup ps;
    ps.port_id = port;
    ps.queues = queues;
    ports_.push_back(start_port(ps, pool));
    queues_of.push_back(queues);
  }

  // Bind (port, queue) pairs to workers round robin; in inline mode worker w owns queue w on both ports
  // and forwards on queue w of the peer.
  unsigned next = 0;
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    for (std::uint16_t q = 0; q < queues_of[i]; ++q) {
      QueueBinding b;
      b.rx_port = ports_[i].port_id;
      b.rx_queue = q;
      b.rx_timestamps = ports_[i].rx_timestamps;
      if (!b.rx_timestamps && i < config_.replay_times.size() && !config_.replay_times[i].empty() &&
          queues_of[i] == 1)
        b.capture_times = &config_.replay_times[i];
      unsigned w = next++ % workers;
      if (config_.mode == Mode::inline_bridge) {
        w = q;
        b.forward = true;
        b.tx_port = ports_[1 - i].port_id;
        b.tx_queue = q;
        b.ips = config_.ips;
        b.return_port = ports_[i].port_id;  // worker w owns TX queue w on both ports
        b.return_queue = q;
      }
      setups[w].queues.push_back(b);
      setups[w].pool = pools_[i];
    }
  }
  for (unsigned w = 0; w < workers; ++w) {
    if (setups[w].pool == nullptr) setups[w].pool = pools_.front();
    workers_.push_back(std::make_unique<Worker>(std::move(setups[w]), make_consumer(w)));
  }
}

Dataplane::~Dataplane() {
  release();
}

void Dataplane::release() {
  workers_.clear();  // reassembly tables return their mbufs before the pools go
  for (const auto& p : ports_) stop_port(p.port_id);
  ports_.clear();
  for (auto* pool : pools_) rte_mempool_free(pool);
  pools_.clear();
}

std::uint64_t Dataplane::received_frames() const {
  std::uint64_t total = 0;
  for (const auto& p : ports_) {
    rte_eth_stats s{};
    if (rte_eth_stats_get(p.port_id, &s) == 0) total += s.ipackets + s.ierrors + s.imissed;
  }
  return total;
}

void Dataplane::run(const std::function<bool()>& should_stop) {
  stop_.store(false);
  std::vector<std::pair<Worker*, const std::atomic<bool>*>> args;
  args.reserve(workers_.size());
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    args.emplace_back(workers_[w].get(), &stop_);
    const int rc = rte_eal_remote_launch(worker_main, &args.back(), worker_lcores_[w]);
    if (rc != 0) {
      stop_.store(true);
      rte_eal_mp_wait_lcore();
      throw DpdkError(dpdk_error_text("rte_eal_remote_launch", rc));
    }
  }
  using clock = std::chrono::steady_clock;
  const auto started = clock::now();
  std::uint64_t last_seen = 0;
  auto last_progress = clock::now();
  while (!should_stop()) {
    // Replay polls often: the time to consume a capture is a benchmark figure.
    std::this_thread::sleep_for(std::chrono::microseconds(config_.replay ? 200 : 5000));
    if (!config_.replay) continue;
    // A capture is consumed once every record has been received; if the count is unknown (pcapng) or
    // a record was unreadable, a quiet period ends the replay instead.
    const std::uint64_t seen = received_frames();
    if (config_.replay_frames != 0 && seen >= config_.replay_frames) break;
    if (seen != last_seen) {
      last_seen = seen;
      last_progress = clock::now();
    } else if (clock::now() - last_progress > std::chrono::milliseconds(config_.replay_idle_ms)) {
      break;
    }
  }
  last_run_seconds_ = std::chrono::duration<double>(clock::now() - started).count();
  // Let workers drain what the ports already delivered to them before stopping.
  if (config_.replay) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop_.store(true);
  rte_eal_mp_wait_lcore();
}

std::vector<PortReport> Dataplane::port_reports() const {
  std::vector<PortReport> out;
  for (const auto& p : ports_) {
    PortReport r;
    r.info = p;
    rte_eth_stats s{};
    rte_eth_stats_get(p.port_id, &s);
    r.counters = {{"ipackets", s.ipackets}, {"ibytes", s.ibytes},       {"ierrors", s.ierrors},
                  {"imissed", s.imissed},   {"rx_nombuf", s.rx_nombuf}, {"opackets", s.opackets},
                  {"oerrors", s.oerrors}};
    out.push_back(std::move(r));
  }
  return out;
}

CounterList sum_counters(const std::vector<CounterList>& lists) {
  CounterList total;
  for (const auto& list : lists) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i < total.size() && total[i].first == list[i].first) {
        total[i].second += list[i].second;
        continue;
      }
      bool found = false;
      for (auto& t : total)
        if (t.first == list[i].first) {
          t.second += list[i].second;
          found = true;
          break;
        }
      if (!found) total.push_back(list[i]);
    }
  }
  return total;
}

}  // namespace dijk::dpdk
