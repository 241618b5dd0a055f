#pragma once
// Hits the inbox refused for good, kept on disk so the acknowledged position can move past them without
// losing them: one file per hit (<id>.json, the id is its journal position) holding the hit exactly as it
// was sent, the HTTP status and the inbox's reason. Every change is atomic (temporary file, fsync, rename,
// fsync of the directory). An admin retries a hit (the reporter resends it; refused again, it stays) or
// drops it; every removal is a line in audit.log beside the files. Safe to use from several threads.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dijk::reporter {

struct QuarantinedHit {
  std::uint64_t id = 0;  // the hit's journal position
  std::string key;       // its idempotency key, APPLIANCE:POSITION or APPLIANCE:JOURNAL:POSITION
  long status = 0;       // the inbox's HTTP status at the last refusal
  std::string reason;    // the inbox's reason at the last refusal
  std::int64_t quarantined_unix = 0;
  std::int64_t last_refused_unix = 0;
  std::uint32_t refusals = 1;
  bool retry_requested = false;  // an admin asked for a resend that has not happened yet
  nlohmann::json hit;            // the hit as sent (privacy policy applied)
};

nlohmann::json to_json(const QuarantinedHit& q, bool with_hit = true);
std::optional<QuarantinedHit> quarantined_hit_from_json(const nlohmann::json& j);

class QuarantineStore {
 public:
  explicit QuarantineStore(std::filesystem::path dir);  // creates the directory; throws if it cannot

  // Durable before it returns (throws std::system_error otherwise, and nothing changed).
  void add(const QuarantinedHit& hit);
  std::vector<QuarantinedHit> list() const;  // by id
  std::size_t size() const;

  // Marks one hit (id) or all (nullopt) for a resend; returns how many were marked.
  std::size_t request_retry(std::optional<std::uint64_t> id);
  std::vector<QuarantinedHit> pending_retries() const;
  // The outcome of a resend: refused again (it stays, with the new status and reason, unmarked) or stored
  // (it leaves, with an audit line). A hit dropped meanwhile stays dropped.
  void refused_again(std::uint64_t id, long status, const std::string& reason, std::int64_t now_unix);
  void delivered(std::uint64_t id, std::int64_t now_unix);
  // Removes one hit (id) or all (nullopt), an audit line each with the reason; returns how many.
  std::size_t drop(std::optional<std::uint64_t> id, const std::string& reason, std::int64_t now_unix);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path audit_log() const { return dir_ / "audit.log"; }

 private:
  std::filesystem::path file_of(std::uint64_t id) const;
  std::optional<QuarantinedHit> load(std::uint64_t id) const;
  void write(const QuarantinedHit& hit);
  void remove(const QuarantinedHit& hit, const std::string& what, std::int64_t now_unix,
              const std::string& why);
  std::vector<std::uint64_t> ids() const;

  std::filesystem::path dir_;
  mutable std::mutex mutex_;
};

}  // namespace dijk::reporter
