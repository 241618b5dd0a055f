#pragma once
// The reporter's acknowledged position: every journal record before it has been accepted by the inbox.
// Stored as a small text file replaced atomically (write a temporary, fsync, rename, fsync the directory),
// so a crash leaves either the old or the new position, never a mix. The journal writer reads it to decide
// which segments retention may delete.
#include <cstdint>
#include <filesystem>
#include <optional>

namespace dijk::journal {

// nullopt when the file is missing; throws std::runtime_error when it exists but is malformed.
std::optional<std::uint64_t> read_ack_position(const std::filesystem::path& file);
// Throws std::system_error on failure (the old state is then still intact).
void write_ack_position(const std::filesystem::path& file, std::uint64_t position);

}  // namespace dijk::journal
