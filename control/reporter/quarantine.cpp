#include "control/reporter/quarantine.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/durable_file.h"

namespace dijk::reporter {
namespace {

constexpr std::string_view kSuffix = ".json";

// Hits carry raw bytes off the wire; the files must stay JSON whatever they hold.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::uint64_t> id_of(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t id = 0;
  const char* first = name.data();
  const char* last = name.data() + name.size() - kSuffix.size();
  const auto [ptr, ec] = std::from_chars(first, last, id);
  if (ec != std::errc{} || ptr != last) return std::nullopt;
  return id;
}

}  // namespace

nlohmann::json to_json(const QuarantinedHit& q, bool with_hit) {
  nlohmann::json j{{"id", q.id},
                   {"key", q.key},
                   {"status", q.status},
                   {"reason", q.reason},
                   {"quarantined_unix", q.quarantined_unix},
                   {"last_refused_unix", q.last_refused_unix},
                   {"refusals", q.refusals},
                   {"retry_requested", q.retry_requested}};
  if (with_hit) j["hit"] = q.hit;
  return j;
}

std::optional<QuarantinedHit> quarantined_hit_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  QuarantinedHit q;
  try {
    q.id = j.at("id").get<std::uint64_t>();
    q.key = j.at("key").get<std::string>();
    q.status = j.at("status").get<long>();
    q.reason = j.at("reason").get<std::string>();
    q.quarantined_unix = j.at("quarantined_unix").get<std::int64_t>();
    q.last_refused_unix = j.at("last_refused_unix").get<std::int64_t>();
    q.refusals = j.at("refusals").get<std::uint32_t>();
    q.retry_requested = j.at("retry_requested").get<bool>();
    q.hit = j.at("hit");
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (!q.hit.is_object()) return std::nullopt;
  return q;
}

QuarantineStore::QuarantineStore(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
}

std::filesystem::path QuarantineStore::file_of(std::uint64_t id) const {
  return dir_ / (std::to_string(id) + std::string(kSuffix));
}

std::vector<std::uint64_t> QuarantineStore::ids() const {
  std::vector<std::uint64_t> out;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (const auto id = id_of(e.path())) out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<QuarantinedHit> QuarantineStore::load(std::uint64_t id) const {
  std::ifstream in(file_of(id), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto q = quarantined_hit_from_json(nlohmann::json::parse(text.str(), nullptr, false));
  if (!q) {
    // Never hide a file that holds evidence: an unreadable one is listed (and can be dropped) as such.
    q = QuarantinedHit{};
    q->reason = "unreadable quarantine file " + file_of(id).string();
    q->hit = nlohmann::json::object();
  }
  q->id = id;
  return q;
}

void QuarantineStore::write(const QuarantinedHit& hit) {
  write_file_durably(file_of(hit.id), dump(to_json(hit)) + "\n", 0600);
}

void QuarantineStore::remove(const QuarantinedHit& hit, const std::string& what, std::int64_t now_unix,
                             const std::string& why) {
  // The audit line (with the whole entry) is durable before the file goes: a removal never loses the hit.
  nlohmann::json line = to_json(hit);
  line["action"] = what;
  line["at_unix"] = now_unix;
  if (!why.empty()) line["why"] = why;
  const auto log = audit_log();
  append_line_durably(log, dump(line), 0600);
  if (::unlink(file_of(hit.id).c_str()) != 0 && errno != ENOENT) {
    throw std::system_error(errno, std::generic_category(), "remove " + file_of(hit.id).string());
  }
  fsync_directory(dir_);
}

void QuarantineStore::add(const QuarantinedHit& hit) {
  std::lock_guard lock(mutex_);
  write(hit);
}

std::vector<QuarantinedHit> QuarantineStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<QuarantinedHit> out;
  for (const auto id : ids()) {
    if (auto q = load(id)) out.push_back(std::move(*q));
  }
  return out;
}

std::size_t QuarantineStore::size() const {
  std::lock_guard lock(mutex_);
  return ids().size();
}

std::size_t QuarantineStore::request_retry(std::optional<std::uint64_t> id) {
  std::lock_guard lock(mutex_);
  std::size_t marked = 0;
  for (const auto each : id ? std::vector<std::uint64_t>{*id} : ids()) {
    auto q = load(each);
    if (!q || q->key.empty()) continue;  // unknown, or unreadable: nothing to resend
    q->retry_requested = true;
    write(*q);
    ++marked;
  }
  return marked;
}

std::vector<QuarantinedHit> QuarantineStore::pending_retries() const {
  std::lock_guard lock(mutex_);
  std::vector<QuarantinedHit> out;
  for (const auto id : ids()) {
    auto q = load(id);
    if (q && q->retry_requested) out.push_back(std::move(*q));
  }
  return out;
}

void QuarantineStore::refused_again(std::uint64_t id, long status, const std::string& reason,
                                    std::int64_t now_unix) {
  std::lock_guard lock(mutex_);
  auto q = load(id);
  if (!q) return;
  q->status = status;
  q->reason = reason;
  q->last_refused_unix = now_unix;
  ++q->refusals;
  q->retry_requested = false;
  write(*q);
}

void QuarantineStore::delivered(std::uint64_t id, std::int64_t now_unix) {
  std::lock_guard lock(mutex_);
  if (const auto q = load(id)) remove(*q, "delivered", now_unix, "");
}

std::size_t QuarantineStore::drop(std::optional<std::uint64_t> id, const std::string& reason,
                                  std::int64_t now_unix) {
  std::lock_guard lock(mutex_);
  std::size_t dropped = 0;
  for (const auto each : id ? std::vector<std::uint64_t>{*id} : ids()) {
    auto q = load(each);
    if (!q) continue;
    remove(*q, "dropped", now_unix, reason);
    ++dropped;
  }
  return dropped;
}

}  // namespace dijk::reporter
