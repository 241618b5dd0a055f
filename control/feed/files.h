#pragma once
// Whole-file reads with a cap, shared by the publisher and the appliance. Writes go through
// core/durable_file.h.
#include <cstdint>
#include <string>
#include <vector>

namespace dijk::feed {

std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t max_bytes);
std::string read_text_file(const std::string& path, std::uint64_t max_bytes);

}  // namespace dijk::feed
