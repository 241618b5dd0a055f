#pragma once
// What dijk-control reads from the hit journal for an admin: recent hits (`dijkctl hits`) and the number of
// hits not yet acknowledged by the inbox (the reporter backlog).
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace dijk::control {

// Hits at or after since_unix, oldest first, at most `limit` (the newest ones), each as the reporter would
// send it with every field (an admin on the box may see what the privacy policy keeps from the hotline),
// plus "host", "uri", "id" (POS, or NAME:POS for a journal other than "wire") and "reported" (acknowledged
// by the inbox).
nlohmann::json recent_hits(const std::filesystem::path& journal_dir, const std::string& journal,
                           std::uint64_t acked_position, std::int64_t since_unix, std::size_t limit);

// Durable records from acked_position on, counted up to `cap` (a larger backlog reads as cap).
std::uint64_t backlog(const std::filesystem::path& journal_dir, std::uint64_t acked_position,
                      std::uint64_t cap);

}  // namespace dijk::control
