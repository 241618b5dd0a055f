#pragma once
// A libcurl easy handle set up for one thing: POST a JSON report over HTTPS with a client certificate,
// trusting only the hotline's CA (no system trust store), and keeping the connection for the next batch.
#include <chrono>
#include <filesystem>
#include <string>

namespace dijk::reporter {

struct TlsClientOptions {
  std::string url;
  std::filesystem::path cert, key, ca;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};  // a hanging inbox counts as a failure after this
};

struct HttpResult {
  long status = 0;  // 0 when no HTTP response came (connection, TLS or timeout failure)
  std::string body;
  std::string error;  // curl's explanation when status is 0
};

class HttpsClient {
 public:
  explicit HttpsClient(TlsClientOptions options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;
  HttpResult post_json(const std::string& body);

 private:
  TlsClientOptions options_;
  void* curl_ = nullptr;
};

}  // namespace dijk::reporter
