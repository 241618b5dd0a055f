// dijk-check's TCP listener over TLS, end to end: the real daemon with a certificate, a key and a client
// CA made for the test by the openssl command line, and libcurl (OpenSSL) as the client. A client
// certificate from the CA gets answers; none, another CA's, an expired one, or plain HTTP get no HTTP
// answer at all (the handshake refuses them), and the daemon keeps serving through all of it.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/check/check_daemon.h"
#include "tests/support/client_cert_pki.h"

namespace dijk::test {
namespace {

using namespace dijk::test::check;

// What the client presents: a certificate and key (or none), and a bearer token (or none).
struct Credentials {
  std::string cert, key, token;
};

// One request to 127.0.0.1:port over HTTPS, trusting the test CA for the server. status 0: no HTTP answer
// (connection or handshake refused).
Reply https(std::uint16_t port, const std::string& ca, const Credentials& who, const std::string& method,
            const std::string& path, const std::string& body = "", const std::string& scheme = "https") {
  Reply r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, (scheme + "://127.0.0.1:" + std::to_string(port) + path).c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  if (!who.cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, who.cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, who.key.c_str());
  }
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  if (!who.token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + who.token).c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

class CheckApiMutualTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new TempDir;
    pki_ = new ClientCertPki(make_client_cert_pki(pki_dir_->path() / "pki", "uploads-web-01"));
    daemon_ = new CheckDaemon("mtls", 100000,
                              "tls_cert = \"" + pki_->server_cert.string() + "\"\n" +  //
                                  "tls_key = \"" + pki_->server_key.string() + "\"\n" + "tls_client_ca = \"" +
                                  pki_->ca.string() + "\"\n" +
                                  "tls_client_names = { \"uploads-web-01\" = \"uploads-web\" }\n");
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete pki_;
    delete pki_dir_;
  }
  static Reply call(const Credentials& who, const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return https(daemon_->port(), pki_->ca.string(), who, method, path, body);
  }
  static Credentials good() { return {pki_->client_cert.string(), pki_->client_key.string(), ""}; }

  static TempDir* pki_dir_;
  static ClientCertPki* pki_;
  static CheckDaemon* daemon_;
};
TempDir* CheckApiMutualTls::pki_dir_ = nullptr;
ClientCertPki* CheckApiMutualTls::pki_ = nullptr;
CheckDaemon* CheckApiMutualTls::daemon_ = nullptr;

TEST_F(CheckApiMutualTls, ClientCertificateFromTheCaIsAnswered) {
  ASSERT_TRUE(daemon_->alive());
  const Reply health = call(good(), "GET", "/v1/health");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.doc()["status"], "ok");

  const Reply listed = call(good(), "POST", "/v1/check", read_file(kListed));
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.doc()["verdict"], "block");
  EXPECT_EQ(listed.doc()["md5"], daemon_->listed_md5());
  const Reply unlisted = call(good(), "POST", "/v1/check", read_file(kUnlisted));
  ASSERT_EQ(unlisted.status, 200) << unlisted.body;
  EXPECT_EQ(unlisted.doc()["verdict"], "allow");
}

// The certificate's CN, mapped through tls_client_names, is the client's name (the rate limit's key and
// the per-client metric's label).
TEST_F(CheckApiMutualTls, CertificateNamesTheClient) {
  ASSERT_EQ(call(good(), "GET", "/v1/health").status, 200);
  Reply metrics;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL,
                   ("http://127.0.0.1:" + std::to_string(daemon_->metrics_port()) + "/metrics").c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &metrics.body);
  ASSERT_EQ(curl_easy_perform(c), CURLE_OK);
  curl_easy_cleanup(c);
  EXPECT_NE(metrics.body.find("dijk_check_client_requests_total{client=\"uploads-web\"}"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(metrics.body.find("uploads-web-01"), std::string::npos) << metrics.body;
}

TEST_F(CheckApiMutualTls, NoClientCertificateIsRefused) {
  EXPECT_EQ(call({}, "GET", "/v1/health").status, 0);
  // A bearer token is no way around the certificate on this listener.
  EXPECT_EQ(call({"", "", kToken}, "GET", "/v1/health").status, 0);
}

TEST_F(CheckApiMutualTls, CertificateFromAnotherCaIsRefused) {
  const Reply r = call({pki_->rogue_cert.string(), pki_->rogue_key.string(), ""}, "POST", "/v1/check",
                       read_file(kListed));
  EXPECT_EQ(r.status, 0) << r.body;
}

TEST_F(CheckApiMutualTls, ExpiredCertificateIsRefused) {
  const Reply r = call({pki_->expired_cert.string(), pki_->expired_key.string(), ""}, "GET", "/v1/health");
  EXPECT_EQ(r.status, 0) << r.body;
}

TEST_F(CheckApiMutualTls, PlainHttpToTheTlsPortIsRefused) {
  const Reply r =
      https(daemon_->port(), pki_->ca.string(), {"", "", kToken}, "GET", "/v1/health", "", "http");
  EXPECT_EQ(r.status, 0) << r.body;
}

TEST_F(CheckApiMutualTls, ServiceKeepsServingAfterRefusals) {
  // Every kind of refusal once more, then both listeners still answer.
  (void)call({}, "GET", "/v1/health");
  (void)call({pki_->rogue_cert.string(), pki_->rogue_key.string(), ""}, "GET", "/v1/health");
  (void)call({pki_->expired_cert.string(), pki_->expired_key.string(), ""}, "GET", "/v1/health");
  (void)https(daemon_->port(), pki_->ca.string(), {}, "GET", "/v1/health", "", "http");
  ASSERT_TRUE(daemon_->alive());
  EXPECT_EQ(daemon_->get("/v1/health").status, 200);
  EXPECT_EQ(call(good(), "GET", "/v1/health").status, 200);
}

// TLS without client certificates: the connection is encrypted and the bearer token still says who asks.
TEST(CheckApiTlsWithTokens, TokenIsStillRequired) {
  TempDir dir;
  const ClientCertPki pki = make_client_cert_pki(dir.path() / "pki", "uploads-web-01");
  CheckDaemon daemon("tls-token", 100000,
                           "tls_cert = \"" + pki.server_cert.string() + "\"\n" + "tls_key = \"" +
                               pki.server_key.string() + "\"\n");
  ASSERT_TRUE(daemon.alive());
  const Reply with_token = https(daemon.port(), pki.ca.string(), {"", "", kToken}, "GET", "/v1/health");
  EXPECT_EQ(with_token.status, 200) << with_token.body;
  const Reply without = https(daemon.port(), pki.ca.string(), {}, "GET", "/v1/health");
  EXPECT_EQ(without.status, 401) << without.body;
  const Reply plain =
      https(daemon.port(), pki.ca.string(), {"", "", kToken}, "GET", "/v1/health", "", "http");
  EXPECT_EQ(plain.status, 0) << plain.body;
}

}  // namespace
}  // namespace dijk::test
