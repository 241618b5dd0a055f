#pragma once
// What the analysts' web view shows, read from the inbox and the feed: the newest hits that match a
// filter, the fleet, and the feed's history (the ledger `dijk-hotline history` prints). Read-only.
//
// The fleet is a seam: FleetSource says which appliances there are and when each was last heard from.
// Today's source is the hits themselves (an appliance is seen when it reports); a source fed by
// heartbeats (software and set version, health) plugs in beside it without touching the pages' callers.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/dijk-hotline/inbox/hit_match.h"
#include "apps/dijk-hotline/inbox/inbox_store.h"
#include "control/feed/ledger.h"

namespace dijk::web {

inline constexpr std::size_t kDefaultHitLimit = 200;
inline constexpr std::size_t kMaxHitLimit = 5000;

struct HitFilter {
  std::int64_t since = 0;  // received at or after (unix seconds)
  inbox::HitMatch match;   // as `dijk-hotline hits` filters (the page offers until, appliance, list, hash)
  std::size_t limit = kDefaultHitLimit;
};

struct HitRow {
  std::int64_t received_at = 0;
  std::string appliance, source, list, category, algorithm, hash, name, action;
};

struct HitsResult {
  std::vector<HitRow> rows;  // newest first, at most the filter's limit
  std::uint64_t matched = 0;
};

HitsResult newest_hits(inbox::InboxStore& store, const HitFilter& filter);

struct ApplianceStatus {
  std::string id;
  std::int64_t last_seen = 0;  // unix seconds
  std::uint64_t hits = 0;
  std::string last_list;
  // From the appliance's latest heartbeat (fleet_view): absent for an appliance only seen in hits.
  std::optional<std::uint64_t> set_version;
  std::string health;  // "healthy", or the problems (silent, lagging, feed failing)
};

class FleetSource {
 public:
  virtual ~FleetSource() = default;
  // Every appliance known, most recently seen first.
  virtual std::vector<ApplianceStatus> appliances() = 0;
  // One line for the page: where the fleet's data comes from.
  virtual std::string origin() const = 0;
};

// The appliances seen in hits and in heartbeats (fleet_view): last seen is the later of the last report
// and the last heartbeat; set version and health come from the heartbeat.
class FleetFromHits : public FleetSource {
 public:
  explicit FleetFromHits(inbox::InboxStore& store) : store_(store) {}
  std::vector<ApplianceStatus> appliances() override;
  std::string origin() const override;

 private:
  inbox::InboxStore& store_;
};

struct FeedHistory {
  bool configured = false;                  // a keys directory was given
  std::vector<feed::LedgerRecord> records;  // newest first
  std::vector<feed::LedgerProblem> problems;
};

// keys_dir empty: not configured.
FeedHistory read_feed_history(const std::filesystem::path& keys_dir);

}  // namespace dijk::web
