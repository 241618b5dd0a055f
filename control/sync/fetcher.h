#pragma once
// Fetching feed files. The Syncer only sees this interface; the appliance uses HTTPS through libcurl.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "control/feed/trust.h"

namespace dijk::sync {

struct FetchResult {
  feed::Failure failure = feed::Failure::none;
  std::string detail;
  std::vector<std::uint8_t> bytes;
  bool ok() const { return failure == feed::Failure::none; }
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Fetches `name` relative to the feed's base. More than `max_bytes` is refused (too_large) without
  // reading past the cap.
  virtual FetchResult fetch(const std::string& name, std::uint64_t max_bytes) = 0;
  // From any thread: the fetch in progress (and any later one) ends soon as failed, without waiting for
  // the network's time-outs. For a syncer being stopped (reconfigured feed, daemon exit).
  virtual void cancel() {}
};

struct HttpsOptions {
  std::string base_url;     // e.g. https://feed.hotline.example/nl/ (the manifest is <base>/manifest)
  std::string ca_file;      // the only CA trusted for the feed server (pinned); empty: the system store
  std::string client_cert;  // optional client certificate (PEM) and its key
  std::string client_key;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{600'000};
  // A transfer slower than this many bytes/s for `low_speed_time` is a time-out (a stalled server).
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
};

class HttpsFetcher final : public Fetcher {
 public:
  explicit HttpsFetcher(HttpsOptions options);
  FetchResult fetch(const std::string& name, std::uint64_t max_bytes) override;
  void cancel() override { cancelled_ = true; }

 private:
  HttpsOptions options_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace dijk::sync

namespace dijk::sync {

// Reads the feed from a local directory with the same caps (benchmarks and tests that measure the apply
// path without a network; not offered on the command line, where the feed is always HTTPS).
class DirectoryFetcher final : public Fetcher {
 public:
  explicit DirectoryFetcher(std::string dir) : dir_(std::move(dir)) {}
  FetchResult fetch(const std::string& name, std::uint64_t max_bytes) override;

 private:
  std::string dir_;
};

}  // namespace dijk::sync
