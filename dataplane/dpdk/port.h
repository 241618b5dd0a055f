#pragma once
// One Ethernet port set up for the dataplane: N RX queues (one per worker lcore), N TX queues (inline
// mode forwards on them), symmetric RSS so both directions of a TCP connection land on the same queue.
#include <cstdint>
#include <string>

struct rte_mempool;

namespace dijk::dpdk {

enum class RssMode : std::uint8_t {
  none,                // one queue: nothing to spread
  symmetric_toeplitz,  // the port hashes symmetrically itself (rte_flow RSS action)
  symmetric_key,       // plain Toeplitz with a key whose 16-bit period makes it symmetric
  kernel_fanout,       // net_af_packet queues: the kernel's PACKET_FANOUT_HASH flow hash is symmetric
  unsupported,         // several queues but the port has no RSS (flows may split: counted in docs)
};
const char* rss_mode_name(RssMode m);

struct PortSetup {
  std::uint16_t port_id = 0;
  std::uint16_t queues = 1;
  std::uint16_t rx_descriptors = 1024;
  std::uint16_t tx_descriptors = 1024;
  bool promiscuous = true;
};

struct PortInfo {
  std::uint16_t port_id = 0;
  std::string name;
  RssMode rss = RssMode::none;
  bool rx_timestamps = false;  // the port stamps mbufs (net_pcap: the capture's timestamps)
};

// Configures and starts the port. Throws DpdkError.
PortInfo start_port(const PortSetup& setup, rte_mempool* pool);
void stop_port(std::uint16_t port_id);

// The 40-byte Toeplitz key made of one repeated 16-bit word: hashing (a,b) and (b,a) then gives the same
// value, so both directions of a flow go to the same queue on ports without symmetric hashing.
const std::uint8_t* symmetric_rss_key();
inline constexpr std::uint8_t kRssKeyLength = 40;

}  // namespace dijk::dpdk
