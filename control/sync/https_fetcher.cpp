#include <curl/curl.h>

#include <mutex>

#include "control/sync/fetcher.h"

namespace dijk::sync {
namespace {

struct Sink {
  std::vector<std::uint8_t>* out;
  std::uint64_t cap;
  bool over = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (sink->out->size() + len > sink->cap) {
    sink->over = true;
    return 0;  // aborts the transfer: never buffer past the cap
  }
  sink->out->insert(sink->out->end(), data, data + len);
  return len;
}

// libcurl calls this often while a transfer runs (at least about once a second, also while stalled or
// connecting): a non-zero answer aborts the transfer.
int on_progress(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancelled)->load() ? 1 : 0;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

HttpsFetcher::HttpsFetcher(HttpsOptions options) : options_(std::move(options)) {
  global_init();
  if (!options_.base_url.empty() && options_.base_url.back() != '/') options_.base_url += '/';
}

FetchResult HttpsFetcher::fetch(const std::string& name, std::uint64_t max_bytes) {
  FetchResult r;
  const std::string url = options_.base_url + name;
  if (cancelled_) return {feed::Failure::http, url + ": cancelled (the feed is stopping)", {}};
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {feed::Failure::internal, "curl_easy_init failed", {}};
  Sink sink{&r.bytes, max_bytes};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  // Only HTTPS (and file:// is not allowed either): the feed is signed, but a pinned TLS channel keeps
  // what the appliance asks for and when private.
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  }
  if (!options_.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options_.client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options_.client_key.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &cancelled_);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "dijk-control/0.1");

  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);

  const std::string what = url + ": " + (error[0] != 0 ? std::string(error) : curl_easy_strerror(rc));
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    r.failure = feed::Failure::http;
    r.detail = url + ": cancelled (the feed is stopping)";
  } else if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
    r.failure = feed::Failure::too_large;
    r.detail = url + ": longer than " + std::to_string(max_bytes) + " bytes";
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    r.failure = feed::Failure::timeout;
    r.detail = what;
  } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
             rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE) {
    r.failure = feed::Failure::tls;
    r.detail = what;
  } else if (rc != CURLE_OK) {
    r.failure = feed::Failure::http;
    r.detail = what;
  } else if (status != 200) {
    r.failure = feed::Failure::http;
    r.detail = url + ": HTTP status " + std::to_string(status);
  }
  if (!r.ok()) r.bytes.clear();
  return r;
}

}  // namespace dijk::sync
