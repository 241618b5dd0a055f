#include "apps/dijk-control/journal_view.h"

#include <deque>

#include "control/journal/journal_reader.h"
#include "control/reporter/report_format.h"

namespace dijk::control {

nlohmann::json recent_hits(const std::filesystem::path& journal_dir, const std::string& journal,
                           std::uint64_t acked_position, std::int64_t since_unix, std::size_t limit) {
  std::deque<nlohmann::json> out;
  if (!std::filesystem::exists(journal_dir) || limit == 0) return nlohmann::json::array();
  // Retention removes only acknowledged segments, so reading from the oldest segment left is reading
  // everything the box still has. A scan is fine for an admin verb; the journal is capped in size.
  journal::JournalReader reader(journal_dir, 0);
  const auto everything = PrivacyPolicy::send_everything();  // this stays on the box
  const auto since_ns =
      since_unix <= 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(since_unix) * 1'000'000'000ULL;
  while (auto entry = reader.next()) {
    if (entry->record.hit.time_ns < since_ns) continue;
    auto j = reporter::hit_to_json(*entry, everything, nullptr, journal);
    j["id"] = reporter::hit_id(journal, entry->position);
    j["host"] = entry->record.hit.host;
    j["uri"] = entry->record.hit.uri;
    j["reported"] = entry->position < acked_position;
    out.push_back(std::move(j));
    if (out.size() > limit) out.pop_front();
  }
  nlohmann::json hits = nlohmann::json::array();
  for (auto& h : out) hits.push_back(std::move(h));
  return hits;
}

std::uint64_t backlog(const std::filesystem::path& journal_dir, std::uint64_t acked_position,
                      std::uint64_t cap) {
  if (!std::filesystem::exists(journal_dir)) return 0;
  journal::JournalReader reader(journal_dir, acked_position);
  std::uint64_t n = 0;
  while (n < cap && reader.next()) ++n;
  return n;
}

}  // namespace dijk::control
