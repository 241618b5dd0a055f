#pragma once
// A hotline CA (ApplianceCa) in a test folder and a valid enrollment bundle for one appliance, for tests
// that then bend the bundle or the request.
#include <ctime>
#include <string>

#include "apps/dijk-hotline/appliance_ca.h"
#include "control/enroll/bundle.h"
#include "control/enroll/pki.h"
#include "tests/support/test_support.h"

namespace dijk::enroll::testing {

struct EnrolledAppliance {
  KeyPtr key;
  EnrollmentBundle bundle;
};

inline EnrolledAppliance enroll_appliance(const std::filesystem::path& ca_dir, const std::string& id) {
  if (!std::filesystem::exists(ca_dir / "ca.key"))
    hotline::ApplianceCa::create(ca_dir, "test appliance CA", 2);
  hotline::ApplianceCa ca(ca_dir);
  EnrolledAppliance out;
  out.key = generate_key();
  const auto request = read_request_pem(make_request_pem(out.key.get(), id), "request");
  const auto cert = ca.issue(request, 1, static_cast<std::int64_t>(std::time(nullptr)));
  out.bundle.appliance_id = id;
  out.bundle.certificate = certificate_pem(cert.get());
  out.bundle.ca_chain = ca.certificate_pem();
  out.bundle.inbox_url = "https://127.0.0.1:8443/v1/hits";
  out.bundle.inbox_ca = ca.certificate_pem();
  out.bundle.feed_url = "https://feed.example/national";
  out.bundle.feed_name = "national";
  out.bundle.feed_root_key = std::string(64, 'a');
  return out;
}

}  // namespace dijk::enroll::testing
