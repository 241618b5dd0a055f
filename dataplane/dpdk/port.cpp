#include "dataplane/dpdk/port.h"

#include <array>
#include <string_view>
#include <vector>

#include "dataplane/dpdk/dpdk_compat.h"
#include "dataplane/dpdk/eal.h"

namespace dijk::dpdk {
namespace {

constexpr std::array<std::uint8_t, kRssKeyLength> kSymmetricKey = [] {
  std::array<std::uint8_t, kRssKeyLength> k{};
  for (std::size_t i = 0; i < k.size(); i += 2) {
    k[i] = 0x6d;
    k[i + 1] = 0x5a;
  }
  return k;
}();

void check(int rc, const std::string& what) {
  if (rc < 0) throw DpdkError(dpdk_error_text(what, rc));
}

// Asks the port to hash symmetrically itself: an rte_flow rule with an RSS action over all queues.
bool try_symmetric_toeplitz_flow(std::uint16_t port, std::uint16_t queues, std::uint64_t rss_types) {
  std::vector<std::uint16_t> queue_ids(queues);
  for (std::uint16_t q = 0; q < queues; ++q) queue_ids[q] = q;
  rte_flow_attr attr{};
  attr.ingress = 1;
  std::array<rte_flow_item, 2> pattern{};
  pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
  pattern[1].type = RTE_FLOW_ITEM_TYPE_END;
  rte_flow_action_rss rss{};
  rss.func = RTE_ETH_HASH_FUNCTION_SYMMETRIC_TOEPLITZ;
  rss.types = rss_types;
  rss.queue_num = queues;
  rss.queue = queue_ids.data();
  std::array<rte_flow_action, 2> actions{};
  actions[0].type = RTE_FLOW_ACTION_TYPE_RSS;
  actions[0].conf = &rss;
  actions[1].type = RTE_FLOW_ACTION_TYPE_END;
  rte_flow_error error{};
  if (rte_flow_validate(port, &attr, pattern.data(), actions.data(), &error) != 0) return false;
  return rte_flow_create(port, &attr, pattern.data(), actions.data(), &error) != nullptr;
}

}  // namespace

const char* rss_mode_name(RssMode m) {
  switch (m) {
    case RssMode::none:
      return "none";
    case RssMode::symmetric_toeplitz:
      return "symmetric-toeplitz";
    case RssMode::symmetric_key:
      return "symmetric-key";
    case RssMode::kernel_fanout:
      return "kernel-fanout";
    case RssMode::unsupported:
      return "unsupported";
  }
  return "?";
}

const std::uint8_t* symmetric_rss_key() {
  return kSymmetricKey.data();
}

PortInfo start_port(const PortSetup& setup, rte_mempool* pool) {
  const std::uint16_t port = setup.port_id;
  PortInfo info;
  info.port_id = port;
  std::array<char, RTE_ETH_NAME_MAX_LEN> name{};
  if (rte_eth_dev_get_name_by_port(port, name.data()) == 0) info.name = name.data();

  rte_eth_dev_info dev{};
  check(rte_eth_dev_info_get(port, &dev), "rte_eth_dev_info_get(" + info.name + ")");
  if (setup.queues > dev.max_rx_queues || setup.queues > dev.max_tx_queues)
    throw DpdkError("port " + info.name + " has fewer queues than worker lcores (" +
                    std::to_string(dev.max_rx_queues) + ")");

  rte_eth_conf conf{};
  const std::uint64_t rss_types = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) & dev.flow_type_rss_offloads;
  if (setup.queues > 1) {
    if (rss_types != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_key = const_cast<std::uint8_t*>(kSymmetricKey.data());
      conf.rx_adv_conf.rss_conf.rss_key_len = kRssKeyLength;
      conf.rx_adv_conf.rss_conf.rss_hf = rss_types;
      info.rss = RssMode::symmetric_key;
    } else if (dev.driver_name != nullptr &&
               std::string_view(dev.driver_name).find("af_packet") != std::string_view::npos) {
      // The PMD spreads its queues with a PACKET_FANOUT_HASH group; the kernel's flow hash orders the
      // addresses and ports before hashing, so both directions land on the same queue.
      info.rss = RssMode::kernel_fanout;
    } else {
      info.rss = RssMode::unsupported;
    }
  }
  if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
    info.rx_timestamps = true;
  }
  // Frames larger than one mbuf (jumbo, or GRO'd frames in a capture) arrive as chains when we can.
  if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;

  check(rte_eth_dev_configure(port, setup.queues, setup.queues, &conf),
        "rte_eth_dev_configure(" + info.name + ")");
  std::uint16_t rxd = setup.rx_descriptors;
  std::uint16_t txd = setup.tx_descriptors;
  check(rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd), "rte_eth_dev_adjust_nb_rx_tx_desc");
  const int socket = rte_eth_dev_socket_id(port);
  const unsigned socket_id = socket < 0 ? 0u : static_cast<unsigned>(socket);
  for (std::uint16_t q = 0; q < setup.queues; ++q) {
    rte_eth_rxconf rxconf = dev.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    check(rte_eth_rx_queue_setup(port, q, rxd, socket_id, &rxconf, pool), "rte_eth_rx_queue_setup");
    check(rte_eth_tx_queue_setup(port, q, txd, socket_id, nullptr), "rte_eth_tx_queue_setup");
  }
  check(rte_eth_dev_start(port), "rte_eth_dev_start(" + info.name + ")");
  if (setup.promiscuous) rte_eth_promiscuous_enable(port);  // some vdevs refuse; not fatal
  if (setup.queues > 1 && rss_types != 0 && try_symmetric_toeplitz_flow(port, setup.queues, rss_types))
    info.rss = RssMode::symmetric_toeplitz;
  return info;
}

void stop_port(std::uint16_t port_id) {
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
}

}  // namespace dijk::dpdk
