#pragma once
// The enrollment bundle: the one file `dijk-hotline enroll` writes and `dijkctl enroll install` applies.
// A small TOML document (format "dijk-enrollment/1", docs/formats.md): the appliance's certificate and the
// CA that issued it, the CA bundle that issued the inbox's server certificate, the inbox URL, and the
// feed's URL, name and root key. It arrives from outside the appliance, so it is parsed strictly: known
// keys only, each of its type, within caps, every certificate checked (the appliance's chains to the
// issuing CA and names the appliance).
#include <cstddef>
#include <string>
#include <string_view>

namespace dijk::enroll {

inline constexpr std::string_view kBundleFormat = "dijk-enrollment/1";
inline constexpr std::size_t kMaxBundleBytes = 256 * 1024;
inline constexpr std::size_t kMaxCaCertificates = 8;  // in ca_chain, inbox_ca and feed_ca each

struct EnrollmentBundle {
  std::string appliance_id;
  std::string certificate;  // PEM, one certificate: CN = appliance_id
  std::string ca_chain;     // PEM, the CA (and intermediates) that issued it
  std::string inbox_url;    // https://
  std::string inbox_ca;     // PEM, what the inbox's server certificate chains to
  std::string feed_url;     // https://; empty: no feed (then feed_name and feed_root_key are empty too)
  std::string feed_name;
  std::string feed_root_key;  // 64 hex digits, as root.pub holds it
  std::string feed_ca;        // PEM; empty: the feed's server is checked against the system trust store
};

// The bundle as TOML text, with a comment header saying what it is.
std::string render_bundle(const EnrollmentBundle& bundle);

// Parses and checks a bundle (throws PkiError saying what is wrong). The PEM fields come back re-encoded
// from the parsed certificates, so nothing but certificates reaches the files they are written to.
EnrollmentBundle parse_bundle(std::string_view text);

// https://HOST[/PATH] with no white space: the only URLs the feed and report clients take.
bool valid_https_url(std::string_view url);

}  // namespace dijk::enroll
