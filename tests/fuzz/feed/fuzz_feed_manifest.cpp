// Hostile manifests: the parser must refuse with FeedFormatError, never crash or read past the input, and
// whatever it accepts must then go through the signature chain without incident (and fail it: a fuzzer
// cannot sign).
#include <cstdint>
#include <string_view>

#include "control/feed/trust.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::feed;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const PublicKey root = SigningKey::generate().public_key();
  try {
    const ManifestFile f = parse_manifest_file(text);
    const TrustPolicy policy{{root}, f.delegation.feed, 0, 0, 300};
    const Verdict v = verify_manifest(f, policy, 1'800'000'000);
    if (v.ok()) __builtin_trap();  // an unsigned manifest verified: the chain is broken
  } catch (const FeedFormatError&) {
  }
  try {
    (void)parse_delegation_file(text);
  } catch (const FeedFormatError&) {
  }
  return 0;
}
