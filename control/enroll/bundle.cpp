#include "control/enroll/bundle.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>
#include <sstream>

#include "control/enroll/pki.h"

namespace dijk::enroll {
namespace {

constexpr std::array<std::string_view, 10> kKeys = {
    "format",   "appliance_id", "certificate", "ca_chain",      "inbox_url",
    "inbox_ca", "feed_url",     "feed_name",   "feed_root_key", "feed_ca",
};
constexpr std::size_t kMaxNameBytes = 256;

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// The same rule as the config loader's feed.name: printable, no quotes that would need escaping in logs.
bool valid_feed_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes) return false;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  }
  return true;
}

std::string pem_of_all(const std::vector<CertPtr>& certs) {
  std::string out;
  for (const auto& c : certs) out += certificate_pem(c.get());
  return out;
}

class BundleReader {
 public:
  explicit BundleReader(const toml::table& table) : table_(table) {}
  // The string value of `key`; "" when absent and optional.
  std::string text(std::string_view key, bool required) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      if (required) throw PkiError("bundle: '" + std::string(key) + "' is missing");
      return {};
    }
    const auto value = node->value<std::string>();
    if (!node->is_string() || !value) throw PkiError("bundle: '" + std::string(key) + "' must be a string");
    return *value;
  }

 private:
  const toml::table& table_;
};

}  // namespace

bool valid_https_url(std::string_view url) {
  static const std::regex https(R"(^https://[^\s/]+(/\S*)?$)");
  return url.size() <= 2048 && std::regex_match(url.begin(), url.end(), https);
}

std::string render_bundle(const EnrollmentBundle& b) {
  toml::table t;
  t.insert("format", std::string(kBundleFormat));
  t.insert("appliance_id", b.appliance_id);
  t.insert("certificate", b.certificate);
  t.insert("ca_chain", b.ca_chain);
  t.insert("inbox_url", b.inbox_url);
  t.insert("inbox_ca", b.inbox_ca);
  if (!b.feed_url.empty()) {
    t.insert("feed_url", b.feed_url);
    t.insert("feed_name", b.feed_name);
    t.insert("feed_root_key", b.feed_root_key);
  }
  if (!b.feed_ca.empty()) t.insert("feed_ca", b.feed_ca);
  std::ostringstream out;
  out << "# dijk enrollment bundle for appliance " << b.appliance_id
      << ": apply on the appliance with `dijkctl enroll install FILE`.\n"
      << "# Certificates and public keys only; the appliance's private key never left it.\n";
  out << toml::toml_formatter(t, toml::format_flags::allow_multi_line_strings) << "\n";
  return out.str();
}

EnrollmentBundle parse_bundle(std::string_view text) {
  if (text.size() > kMaxBundleBytes) {
    throw PkiError("bundle: larger than " + std::to_string(kMaxBundleBytes / 1024) + " KiB");
  }
  toml::table table;
  try {
    table = toml::parse(text, std::string_view("bundle"));
  } catch (const toml::parse_error& e) {
    throw PkiError("bundle: not TOML (line " + std::to_string(e.source().begin.line) +
                   "): " + std::string(e.description()));
  }
  for (const auto& [key, node] : table) {
    if (std::find(kKeys.begin(), kKeys.end(), key.str()) == kKeys.end()) {
      throw PkiError("bundle: unknown key '" + std::string(key.str().substr(0, 64)) + "'");
    }
  }
  const BundleReader r(table);
  if (r.text("format", true) != kBundleFormat) {
    throw PkiError("bundle: format is not \"" + std::string(kBundleFormat) + "\"");
  }
  EnrollmentBundle b;
  b.appliance_id = r.text("appliance_id", true);
  if (!valid_appliance_id(b.appliance_id)) throw PkiError("bundle: appliance_id is not a valid appliance id");
  b.inbox_url = r.text("inbox_url", true);
  if (!valid_https_url(b.inbox_url)) throw PkiError("bundle: inbox_url is not an https:// URL");
  b.feed_url = r.text("feed_url", false);
  b.feed_name = r.text("feed_name", false);
  b.feed_root_key = r.text("feed_root_key", false);
  if (b.feed_url.empty()) {
    if (!b.feed_name.empty() || !b.feed_root_key.empty()) {
      throw PkiError("bundle: feed_name and feed_root_key come with feed_url");
    }
  } else {
    if (!valid_https_url(b.feed_url)) throw PkiError("bundle: feed_url is not an https:// URL");
    if (!valid_feed_name(b.feed_name)) throw PkiError("bundle: feed_name is missing or not printable");
    if (!is_hex64(b.feed_root_key)) throw PkiError("bundle: feed_root_key is not 64 hex digits");
  }

  const auto cert = read_certificate_pem(r.text("certificate", true), "bundle: certificate");
  const auto chain = read_certificates_pem(r.text("ca_chain", true), kMaxCaCertificates, "bundle: ca_chain");
  const auto inbox_ca =
      read_certificates_pem(r.text("inbox_ca", true), kMaxCaCertificates, "bundle: inbox_ca");
  const std::string feed_ca_text = r.text("feed_ca", false);
  if (common_name(X509_get_subject_name(cert.get())) != b.appliance_id) {
    throw PkiError("bundle: the certificate does not name appliance '" + b.appliance_id + "'");
  }
  if (const auto why = verify_client_certificate(cert.get(), chain); !why.empty()) {
    throw PkiError("bundle: the certificate does not chain to ca_chain: " + why);
  }
  b.certificate = certificate_pem(cert.get());
  b.ca_chain = pem_of_all(chain);
  b.inbox_ca = pem_of_all(inbox_ca);
  if (!feed_ca_text.empty()) {
    b.feed_ca = pem_of_all(read_certificates_pem(feed_ca_text, kMaxCaCertificates, "bundle: feed_ca"));
  }
  for (char& c : b.feed_root_key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

}  // namespace dijk::enroll
