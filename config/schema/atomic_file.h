// Replaces a file so that readers see either the old bytes or the new, never a mix: write a temporary file
// beside it, fsync, rename over, fsync the directory. The new file keeps the old one's mode.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace dijk {

// Returns an error message, or nullopt on success.
std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The whole file, or nullopt if it cannot be read.
std::optional<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace dijk
