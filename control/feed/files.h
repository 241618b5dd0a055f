#pragma once
// Small file helpers shared by the publisher and the appliance: whole-file reads with a cap and durable
// atomic writes (temporary file, fsync, rename, fsync of the directory).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dijk::feed {

std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t max_bytes);
std::string read_text_file(const std::string& path, std::uint64_t max_bytes);
// Throws std::system_error (errno kept: ENOSPC is a full disk) on any failure; never leaves a partial file.
void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes, unsigned mode = 0644);
void write_file_atomic(const std::string& path, const std::string& text, unsigned mode = 0644);
void fsync_directory(const std::string& dir);  // best effort: errors are ignored

}  // namespace dijk::feed
