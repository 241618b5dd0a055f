// Hostile certificate requests (control/enroll/pki.h), as `dijk-hotline enroll` reads them: refused with
// PkiError, or accepted with a valid appliance id as the CN and a signature that verifies.
#include <cstdint>
#include <string_view>

#include "control/enroll/pki.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::enroll;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto r = read_request_pem(input, "request");
    if (!valid_appliance_id(r.common_name)) __builtin_trap();
    if (X509_REQ_verify(r.request.get(), X509_REQ_get0_pubkey(r.request.get())) != 1) __builtin_trap();
  } catch (const PkiError&) {
  }
  return 0;
}
