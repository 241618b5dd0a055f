// Hostile enrollment bundles (control/enroll/bundle.h): refused with PkiError, or accepted with every field
// within its rules, and an accepted bundle written back reads the same.
#include <cstdint>
#include <string_view>

#include "control/enroll/bundle.h"
#include "control/enroll/pki.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::enroll;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  EnrollmentBundle b;
  try {
    b = parse_bundle(input);
  } catch (const PkiError&) {
    return 0;
  }
  if (!valid_appliance_id(b.appliance_id) || !valid_https_url(b.inbox_url)) __builtin_trap();
  if (b.certificate.empty() || b.ca_chain.empty() || b.inbox_ca.empty()) __builtin_trap();
  if (!b.feed_url.empty() && b.feed_root_key.size() != 64) __builtin_trap();
  const EnrollmentBundle again = parse_bundle(render_bundle(b));
  if (again.appliance_id != b.appliance_id || again.certificate != b.certificate ||
      again.inbox_url != b.inbox_url || again.feed_url != b.feed_url ||
      again.feed_root_key != b.feed_root_key) {
    __builtin_trap();
  }
  return 0;
}
