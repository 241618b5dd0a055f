#pragma once
// The hotline side of the feed: key generation and rotation, and publishing a new version (snapshot plus a
// delta against the previous version) into a directory of static files any HTTPS server can serve.
//
// Keys directory:  root.key (offline root, Ed25519 PEM; move it off the publishing host after keygen),
//                  root.pub (hex; pinned on appliances), feed.key (online signing key, PEM),
//                  delegation (the root-signed block naming feed.key's public half).
//                  ledger (the retraction ledger, control/feed/ledger.h: every publish honours it).
// Feed directory:  manifest, snapshot-<v>.dfc, delta-<from>-<to>.dfc.
#include <cstdint>
#include <string>
#include <vector>

#include "control/feed/content.h"
#include "control/feed/ledger.h"
#include "control/feed/set_diff.h"

namespace dijk::feed {

struct KeygenOptions {
  std::string keys_dir;
  std::string feed_name;
  std::int64_t key_valid_seconds = 365 * 86400;
};
void keygen(const KeygenOptions& options);

struct RotateOptions {
  std::string keys_dir;
  std::string root_key;  // default <keys_dir>/root.key (the root key is brought back for this only)
  std::int64_t key_valid_seconds = 365 * 86400;
};
// Returns the new serial.
std::uint64_t rotate_key(const RotateOptions& options);

struct PublishOptions {
  std::string feed_dir;
  std::string keys_dir;
  std::uint32_t keep_deltas = 8;                // deltas from the last N versions stay in the feed
  std::int64_t expires_in_seconds = 2 * 86400;  // appliances refuse the manifest after this
  std::int64_t now = 0;                         // 0: the clock
};

struct PublishResult {
  std::uint64_t version = 0;
  std::uint64_t hashes = 0;
  std::uint64_t delta_changes = 0;
  std::int64_t key_not_after = 0;  // when the delegation the manifest was signed under expires
  std::string warning;             // non-empty: the operator should act (the feed key expires soon)
  std::uint64_t held_back = 0;     // hashes of the set kept out because the ledger retracts them
  std::vector<Digest> not_listed;  // retract: hashes given that no list of the current version held
};

// Who publishes and why; recorded in the ledger, the note also in the delta.
struct Attribution {
  std::string by;
  std::string note;
};

// What publishing some contents would do, computed without writing anything (`publish --dry-run`, and
// the mass-removal guard): the contents with the ledger's retractions held back, and the change against
// the version now published.
struct PublishPlan {
  SetContents contents;
  SetDiff diff;
  std::uint64_t version = 0;    // the version it would become
  std::uint64_t held_back = 0;  // hashes kept out because the ledger retracts them
};
PublishPlan plan_publish(const PublishOptions& options, SetContents contents);
// Publishes a plan's contents (as publish_contents), reporting and recording what the plan held back.
PublishResult publish_plan(const PublishOptions& options, PublishPlan plan, const Attribution& who);

// Removes from `contents` every hash the ledger retracts; returns how many.
std::uint64_t hold_back(SetContents& contents, const RetractedSet& retracted);

// Publishing warns this long before the delegation expires.
inline constexpr std::int64_t kKeyExpiryWarningSeconds = 7 * 86400;
// The warning for a manifest valid until `manifest_expires` signed under a delegation valid until
// `not_after`, published at `now`; empty when the key has more than a week left and outlives the manifest.
std::string key_expiry_warning(std::int64_t not_after, std::int64_t manifest_expires, std::int64_t now);

// Publishes the contents of set file `set_path` as the next version.
PublishResult publish_set(const PublishOptions& options, const std::string& set_path,
                          const Attribution& who = {});
// Records the retraction of `digests` in the ledger (so that every later publish keeps them out), then
// publishes the current version minus them at once; the reason travels in the delta.
PublishResult retract(const PublishOptions& options, const std::vector<Digest>& digests,
                      const std::string& reason, const std::string& by = "");
// Records in the ledger that `digests` may come back: the next publish of a set that holds them does.
// Returns those that were not retracted (nothing to undo for them).
std::vector<Digest> unretract(const std::string& keys_dir, const std::vector<Digest>& digests,
                              const std::string& reason, const std::string& by, std::int64_t now = 0);
// Publishes `contents`, minus what the ledger retracts, as the next version (the common path of both) and
// records it in the ledger. Refuses, writing nothing, when the delegation has expired: every appliance
// would refuse the manifest as key_expired.
PublishResult publish_contents(const PublishOptions& options, SetContents contents, const std::string& note,
                               const std::string& by = "");

}  // namespace dijk::feed
