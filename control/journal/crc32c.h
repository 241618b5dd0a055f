#pragma once
// CRC32C (Castagnoli), the checksum every journal record carries.
#include <cstdint>
#include <span>

namespace dijk::journal {

std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t seed = 0);

}  // namespace dijk::journal
