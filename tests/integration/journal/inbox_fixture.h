#pragma once
// An inbox running in the test process on a free loopback port, with a fault switch the test flips.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apps/dijk-hotline/inbox/inbox_server.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/unit/journal/journal_test_dir.h"

namespace dijk::journal::testing {

class TestInbox {
 public:
  // tune: changes the options (limits, time-outs) before the inbox starts.
  TestInbox(const TestPki& pki, const std::filesystem::path& db, std::uint16_t port = 0,
            const std::function<void(inbox::InboxOptions&)>& tune = {}) {
    options_.port = port;
    options_.cert = pki.server_cert;
    options_.key = pki.server_key;
    options_.client_ca = pki.ca;
    options_.db = db;
    options_.hang_time = std::chrono::milliseconds(1500);
    options_.fault = [this](std::string_view body) {
      {
        std::lock_guard lock(refuse_mutex_);
        for (const auto& text : refuse_) {
          if (body.find(text) != std::string_view::npos) return inbox::Fault::answer_403;
        }
      }
      int n = faults_left_.load();
      while (n > 0 && !faults_left_.compare_exchange_weak(n, n - 1)) {
      }
      return n > 0 ? fault_.load() : inbox::Fault::none;
    };
    options_.log = [](std::string_view) {};
    if (tune) tune(options_);
    start();
  }
  void start() {
    server_ = std::make_unique<inbox::InboxServer>(options_);
    server_->start();
    options_.port = server_->port();  // a restart comes back on the same port
  }
  void stop() { server_.reset(); }
  bool up() const { return server_ != nullptr; }
  // The next n reports get fault f.
  void inject(inbox::Fault f, int n) {
    fault_.store(f);
    faults_left_.store(n);
  }
  // Every report whose body contains one of texts is refused with 403 until refuse({}): hits the inbox will
  // not take, whatever batch they travel in.
  void refuse(std::vector<std::string> texts) {
    std::lock_guard lock(refuse_mutex_);
    refuse_ = std::move(texts);
  }
  inbox::InboxServer& server() { return *server_; }
  std::uint16_t port() const { return options_.port; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(options_.port) + "/v1/hits"; }

 private:
  inbox::InboxOptions options_;
  std::unique_ptr<inbox::InboxServer> server_;
  std::atomic<inbox::Fault> fault_{inbox::Fault::none};
  std::atomic<int> faults_left_{0};
  std::mutex refuse_mutex_;
  std::vector<std::string> refuse_;
};

}  // namespace dijk::journal::testing
