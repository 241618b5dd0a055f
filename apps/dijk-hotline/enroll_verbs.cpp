// dijk-hotline ca init, enroll, enroll revoke, enroll list: the hotline's side of enrollment
// (docs/enrollment.md). The appliance makes its key and a request (`dijkctl enroll request`); the hotline
// signs it here and sends back one bundle file; a revoked appliance is refused by the inbox (--crl).
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/dijk-hotline/appliance_ca.h"
#include "apps/dijk-hotline/verbs.h"
#include "control/enroll/bundle.h"
#include "control/feed/crypto.h"
#include "control/feed/files.h"
#include "core/durable_file.h"

namespace dijk::hotline {
namespace {

constexpr std::uint64_t kMaxRequestBytes = 64 * 1024;
constexpr std::uint64_t kMaxCaFileBytes = 256 * 1024;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string iso_time(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return out.str();
}

int days_option(const cli::ParsedArgs& a, int fallback) {
  const auto v = a.value("--days");
  if (!v) return fallback;
  if (v->empty() || v->size() > 5 || v->find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(*v) == 0) {
    throw cli::UsageError("--days wants a number of days from 1 to 99999, got '" + *v + "'");
  }
  return std::stoi(*v);
}

int run_ca_init(const cli::ParsedArgs& a) {
  const std::filesystem::path dir = a.required("--ca-dir");
  ApplianceCa::create(dir, a.value("--name").value_or("dijk appliance CA"), days_option(a, 3650));
  std::cout << dir.string()
            << ": ca.key (keep it on this host, mode 0600), ca.crt (the inbox's --client-ca),\n"
            << "crl.pem (the inbox's --crl). Enroll appliances with `dijk-hotline enroll`.\n";
  return cli::kExitOk;
}

// The bundle's feed fields: all of --feed-url, --feed-name and --root-pub, or none.
void feed_fields(const cli::ParsedArgs& a, enroll::EnrollmentBundle& b) {
  const auto url = a.value("--feed-url");
  const auto name = a.value("--feed-name");
  const auto root = a.value("--root-pub");
  if (!url && !name && !root) return;
  if (!url || !name || !root) throw cli::UsageError("--feed-url, --feed-name and --root-pub go together");
  b.feed_url = *url;
  b.feed_name = *name;
  b.feed_root_key = feed::key_to_hex(feed::load_public_key(*root));
  if (auto ca = a.value("--feed-ca")) b.feed_ca = feed::read_text_file(*ca, kMaxCaFileBytes);
}

int run_enroll(const cli::ParsedArgs& a) {
  ApplianceCa ca(a.required("--ca-dir"));
  const std::string csr_file = a.required("--csr");
  const auto request = enroll::read_request_pem(feed::read_text_file(csr_file, kMaxRequestBytes), csr_file);
  if (const auto id = a.value("--id"); id && *id != request.common_name) {
    throw std::runtime_error(csr_file + " is a request for appliance '" + request.common_name + "', not '" +
                             *id + "'");
  }
  enroll::EnrollmentBundle b;
  b.appliance_id = request.common_name;
  b.inbox_url = a.required("--inbox-url");
  if (!enroll::valid_https_url(b.inbox_url)) throw cli::UsageError("--inbox-url must be an https:// URL");
  b.inbox_ca = feed::read_text_file(a.required("--inbox-ca"), kMaxCaFileBytes);
  enroll::read_certificates_pem(b.inbox_ca, enroll::kMaxCaCertificates, "--inbox-ca");
  feed_fields(a, b);
  if (!b.feed_url.empty() && !enroll::valid_https_url(b.feed_url)) {
    throw cli::UsageError("--feed-url must be an https:// URL");
  }
  const std::string out = a.required("--out");

  // One live certificate an appliance, unless the engineer says this one replaces it.
  std::vector<std::string> replaced;
  for (const auto& c : ca.issued()) {
    if (c.appliance_id != b.appliance_id || c.revoked || c.not_after <= now()) continue;
    if (!a.flag("--replace")) {
      throw std::runtime_error("appliance '" + b.appliance_id + "' already holds certificate " + c.serial +
                               " (valid until " + iso_time(c.not_after) +
                               "); --replace issues a new one and revokes it");
    }
    replaced.push_back(c.serial);
  }
  const auto cert = ca.issue(request, days_option(a, 730), now());
  const std::string serial = enroll::serial_hex(X509_get0_serialNumber(cert.get()));
  b.certificate = enroll::certificate_pem(cert.get());
  b.ca_chain = ca.certificate_pem();
  const std::string text = enroll::render_bundle(b);
  enroll::parse_bundle(text);  // the appliance will check all of it: a bundle it would refuse is not sent
  write_file_durably(out, text, 0644);
  for (const auto& old : replaced) ca.revoke(old, "replaced by " + serial, now());
  std::cout << "issued certificate " << serial << " for appliance " << b.appliance_id << ", valid until "
            << iso_time(enroll::not_after(cert.get())) << "\n";
  for (const auto& old : replaced) std::cout << "revoked certificate " << old << " (replaced)\n";
  std::cout << "bundle: " << out << " (send it to the appliance: `dijkctl enroll install " << out << "`)\n";
  return cli::kExitOk;
}

int run_revoke(const cli::ParsedArgs& a) {
  ApplianceCa ca(a.required("--ca-dir"));
  if (a.positional().size() != 1) throw cli::UsageError("wants one appliance id or certificate serial");
  const std::string which = a.positional()[0];
  const auto revoked = ca.revoke(which, a.value("--reason").value_or("unspecified"), now());
  if (revoked.empty()) {
    std::cerr << "no unrevoked certificate has appliance id or serial '" << which << "'\n";
    return cli::kExitFound;
  }
  for (const auto& c : revoked) {
    std::cout << "revoked certificate " << c.serial << " of appliance " << c.appliance_id << "\n";
  }
  std::cout << ca.crl_path().string() << " rewritten: the inbox refuses these from its next connection\n";
  return cli::kExitOk;
}

int run_list(const cli::ParsedArgs& a) {
  ApplianceCa ca(a.required("--ca-dir"));
  std::cout << std::left << std::setw(34) << "SERIAL" << std::setw(24) << "APPLIANCE" << std::setw(22)
            << "ISSUED" << std::setw(22) << "NOT AFTER"
            << "STATE\n";
  for (const auto& c : ca.issued()) {
    std::string state = c.revoked              ? "revoked " + iso_time(c.revoked_at) + ": " + c.reason
                        : c.not_after <= now() ? "expired"
                                               : "valid";
    std::cout << std::setw(34) << c.serial << std::setw(24) << c.appliance_id << std::setw(22)
              << iso_time(c.issued_at) << std::setw(22) << iso_time(c.not_after) << state << "\n";
  }
  return cli::kExitOk;
}

const cli::OptionSpec kCaDir{"--ca-dir", true, "the appliance CA's directory", "DIR"};

}  // namespace

std::vector<cli::Verb> enroll_verbs() {
  return {
      {"ca init",
       "make the appliance CA that signs appliance certificates",
       "ca init --ca-dir DIR [--name NAME] [--days N]",
       "Makes an EC P-256 CA key (DIR/ca.key, mode 0600), its self-signed certificate (DIR/ca.crt) and an "
       "empty revocation list (DIR/crl.pem). Run the inbox with --client-ca DIR/ca.crt --crl DIR/crl.pem. "
       "An existing CA is never overwritten.",
       {kCaDir,
        {"--name", true, "the CA certificate's common name (default \"dijk appliance CA\")", "NAME"},
        {"--days", true, "how long the CA is valid (default 3650)", "N"}},
       run_ca_init},
      {"enroll",
       "sign an appliance's certificate request and write its enrollment bundle",
       "enroll --ca-dir DIR --csr FILE --inbox-url URL --inbox-ca FILE [--feed-url URL --feed-name NAME\n"
       "       --root-pub FILE [--feed-ca FILE]] [--id ID] [--days N] [--replace] --out BUNDLE",
       "Checks the request made by `dijkctl enroll request` (its signature; a subject of one CN, the "
       "appliance "
       "id), issues a TLS client certificate for that id and writes BUNDLE: the certificate, the CA, the "
       "inbox "
       "URL and the CA of the inbox's server certificate, and the feed's URL, name and root key "
       "(docs/formats.md). Nothing secret is in it. An appliance with a valid certificate is refused unless "
       "--replace, which revokes the old one once the new one is issued.",
       {kCaDir,
        {"--csr", true, "the appliance's certificate request (PEM)", "FILE"},
        {"--id", true, "refuse the request unless it is for this appliance id", "ID"},
        {"--inbox-url", true, "where the appliance reports hits, e.g. https://inbox.example:8443/v1/hits",
         "URL"},
        {"--inbox-ca", true, "the CA bundle the inbox's server certificate chains to (PEM)", "FILE"},
        {"--feed-url", true, "the signed feed's URL", "URL"},
        {"--feed-name", true, "the feed's name, as its delegation names it", "NAME"},
        {"--root-pub", true, "the feed's root public key (root.pub from `dijk-hotline keygen`)", "FILE"},
        {"--feed-ca", true, "the CA bundle of the feed's server (default: the appliance's system store)",
         "FILE"},
        {"--days", true, "how long the certificate is valid (default 730)", "N"},
        {"--replace", false, "revoke the appliance's current certificate once the new one is issued", ""},
        {"--out", true, "the bundle file to write", "BUNDLE"}},
       run_enroll},
      {"enroll revoke",
       "revoke an appliance's certificates (the inbox refuses them)",
       "enroll revoke --ca-dir DIR [--reason TEXT] ID|SERIAL",
       "Revokes every unrevoked certificate of appliance ID, or the one with SERIAL (hex, as `enroll list` "
       "shows it), and rewrites DIR/crl.pem. The inbox reads the list again as soon as it changes and "
       "refuses "
       "those certificates' connections and reports with 403, logged and counted. Exits 1 if nothing "
       "matched.",
       {kCaDir, {"--reason", true, "why, kept in DIR/revoked.log", "TEXT"}},
       run_revoke},
      {"enroll list",
       "every certificate the appliance CA issued, with its state",
       "enroll list --ca-dir DIR",
       "One line a certificate, oldest first: serial, appliance, issued, not after (UTC), and whether it is "
       "valid, expired or revoked (when, and why).",
       {kCaDir},
       run_list},
  };
}

}  // namespace dijk::hotline
