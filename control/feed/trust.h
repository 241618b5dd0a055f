#pragma once
// The chain of trust an appliance checks on every manifest: pinned root key -> delegation -> feed key ->
// manifest, then freshness (not expired, not from the future) and order (never older than what it has).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/feed/manifest.h"

namespace dijk::feed {

// Why a sync did not install a new version. Every value is a distinct counter and status reason.
enum class Failure {
  none = 0,
  http,                  // the server answered with an error status or the transfer failed
  timeout,               // connect or transfer time-out
  tls,                   // certificate not signed by the pinned CA, or handshake failure
  too_large,             // a file longer than its cap or than the manifest said
  malformed,             // the manifest or a content file does not parse
  untrusted_delegation,  // the delegation is not signed by a pinned root key (wrong or altered)
  bad_signature,         // the manifest is not signed by the delegated feed key (altered or forged)
  wrong_feed,            // a correctly signed manifest of some other feed
  revoked_key,           // a feed key older than one already seen (rotated away)
  key_expired,           // the delegation's not-after has passed
  rollback,              // version lower than the one installed (replay of an old manifest)
  expired,               // manifest past its expiry (a frozen feed)
  not_yet_valid,         // issued in the future beyond the allowed skew
  length_mismatch,       // a file of another length than the manifest says (truncated or padded)
  hash_mismatch,         // a file whose SHA-256 is not the manifest's
  inconsistent,          // content versions disagree with the manifest or the installed set
  disk,                  // writing the new set failed (disk full, I/O error)
  set_invalid,           // the built set file did not verify
  internal,
};
inline constexpr std::size_t kFailureCount = static_cast<std::size_t>(Failure::internal) + 1;
std::string_view failure_name(Failure f);

struct TrustPolicy {
  std::vector<PublicKey> roots;        // pinned
  std::string feed;                    // the feed name this appliance follows
  std::uint64_t min_key_serial = 0;    // the highest delegation serial seen so far
  std::uint64_t accepted_version = 0;  // the highest manifest version accepted so far
  std::int64_t max_clock_skew = 300;   // seconds an `issued` time may lie in the future
};

struct Verdict {
  Failure failure = Failure::none;
  bool up_to_date = false;  // valid and fresh, and the same version as already accepted
  std::string detail;
  bool ok() const { return failure == Failure::none; }
};

// Checks signatures first (nothing unsigned is believed), then the feed name, key serial and expiry, then
// the version. `now` is seconds since the epoch.
Verdict verify_manifest(const ManifestFile& file, const TrustPolicy& policy, std::int64_t now);
// Only the root -> delegation link.
Verdict verify_delegation(const ManifestFile& file, const TrustPolicy& policy, std::int64_t now);

}  // namespace dijk::feed
