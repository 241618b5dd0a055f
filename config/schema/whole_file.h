// Reads a whole (small) file, such as the config. Replacing one goes through core/durable_file.h.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace dijk {

// The whole file, or nullopt if it cannot be read.
std::optional<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace dijk
