#include "control/feed/trust.h"

namespace dijk::feed {
namespace {
Verdict fail(Failure f, std::string detail) {
  return {f, false, std::move(detail)};
}
}  // namespace

std::string_view failure_name(Failure f) {
  switch (f) {
    case Failure::none:
      return "none";
    case Failure::http:
      return "http";
    case Failure::timeout:
      return "timeout";
    case Failure::tls:
      return "tls";
    case Failure::too_large:
      return "too_large";
    case Failure::malformed:
      return "malformed";
    case Failure::untrusted_delegation:
      return "untrusted_delegation";
    case Failure::bad_signature:
      return "bad_signature";
    case Failure::wrong_feed:
      return "wrong_feed";
    case Failure::revoked_key:
      return "revoked_key";
    case Failure::key_expired:
      return "key_expired";
    case Failure::rollback:
      return "rollback";
    case Failure::expired:
      return "expired";
    case Failure::not_yet_valid:
      return "not_yet_valid";
    case Failure::length_mismatch:
      return "length_mismatch";
    case Failure::hash_mismatch:
      return "hash_mismatch";
    case Failure::inconsistent:
      return "inconsistent";
    case Failure::disk:
      return "disk";
    case Failure::set_invalid:
      return "set_invalid";
    case Failure::internal:
      return "internal";
  }
  return "unknown";
}

Verdict verify_delegation(const ManifestFile& file, const TrustPolicy& policy, std::int64_t now) {
  bool signed_by_root = false;
  for (const PublicKey& root : policy.roots) {
    if (verify(root, file.delegation_signed, file.delegation_sig)) {
      signed_by_root = true;
      break;
    }
  }
  if (!signed_by_root)
    return fail(Failure::untrusted_delegation, "delegation not signed by a pinned root key");
  const Delegation& d = file.delegation;
  if (d.feed != policy.feed) return fail(Failure::wrong_feed, "delegation is for feed `" + d.feed + "`");
  if (d.serial < policy.min_key_serial) {
    return fail(Failure::revoked_key, "feed key serial " + std::to_string(d.serial) +
                                          " is older than serial " + std::to_string(policy.min_key_serial) +
                                          " already seen");
  }
  if (d.not_after <= now) return fail(Failure::key_expired, "feed key delegation expired");
  return {};
}

Verdict verify_manifest(const ManifestFile& file, const TrustPolicy& policy, std::int64_t now) {
  if (Verdict v = verify_delegation(file, policy, now); !v.ok()) return v;
  if (!verify(file.delegation.key, file.manifest_signed, file.manifest_sig)) {
    return fail(Failure::bad_signature, "manifest not signed by the delegated feed key");
  }
  const Manifest& m = file.manifest;
  if (m.feed != file.delegation.feed)
    return fail(Failure::wrong_feed, "manifest names feed `" + m.feed + "`");
  if (m.key_serial != file.delegation.serial) {
    return fail(Failure::bad_signature, "manifest names key serial " + std::to_string(m.key_serial));
  }
  if (m.expires <= now) {
    return fail(Failure::expired, "manifest version " + std::to_string(m.version) + " expired at " +
                                      std::to_string(m.expires) + " (feed frozen?)");
  }
  if (m.issued > now + policy.max_clock_skew)
    return fail(Failure::not_yet_valid, "manifest issued in the future");
  if (m.version < policy.accepted_version) {
    return fail(Failure::rollback, "manifest version " + std::to_string(m.version) +
                                       " is older than accepted " + std::to_string(policy.accepted_version));
  }
  Verdict ok;
  ok.up_to_date = m.version == policy.accepted_version;
  return ok;
}

}  // namespace dijk::feed
