// A deliberately tiny HTTP/1.1 listener for Prometheus: GET /metrics answers the registry in text format,
// anything else gets 404/405. Loopback by default; one connection at a time, each bounded in size and time.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "config/metrics/registry.h"

namespace dijk::metrics {

class HttpExporter {
 public:
  // `listen` is "HOST:PORT" as in metrics.listen; port 0 picks a free port (see port()).
  HttpExporter(const Registry& registry, std::string listen);
  ~HttpExporter();
  HttpExporter(const HttpExporter&) = delete;
  HttpExporter& operator=(const HttpExporter&) = delete;

  void start();  // throws std::system_error / std::invalid_argument
  void stop();
  std::uint16_t port() const { return port_; }

  Counter& scrapes() { return scrapes_; }

 private:
  void serve();
  void answer(int fd);

  const Registry& registry_;
  std::string listen_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  Counter scrapes_;
  std::thread thread_;
};

}  // namespace dijk::metrics
