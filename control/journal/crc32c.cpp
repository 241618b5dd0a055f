#include "control/journal/crc32c.h"

#include <boost/crc.hpp>

namespace dijk::journal {

// Boost.CRC's table-driven engine with the Castagnoli polynomial, reflected in and out, as in iSCSI/ext4.
using Crc32cEngine = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t seed) {
  Crc32cEngine engine(seed ^ 0xFFFFFFFFu);
  engine.process_bytes(bytes.data(), bytes.size());
  return engine.checksum();
}

}  // namespace dijk::journal
