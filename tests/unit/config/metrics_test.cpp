// Prometheus exposition of registered counters, gauges and collectors, served over loopback HTTP.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/metrics/http_exporter.h"
#include "config/metrics/registry.h"

namespace {

std::string http_get(std::uint16_t port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return out;
}

TEST(Metrics, TextExpositionGroupsSamplesByName) {
  dijk::metrics::Registry r;
  auto& rx0 = r.counter("dijk_packets_total", "Packets received.", {{"lcore", "0"}});
  r.gauge("dijk_set_version", "Active set version.").set(42);
  auto& rx1 = r.counter("dijk_packets_total", "Packets received.", {{"lcore", "1"}});
  r.add_collector([](std::vector<dijk::metrics::Sample>& out) {
    out.push_back(
        {"dijk_flows", "Flows \"live\"\nnow.", dijk::metrics::Type::kGauge, {{"port", "a\"b"}}, 1.5});
  });
  rx0.add(3);
  rx1.add();
  EXPECT_EQ(dijk::metrics::render_prometheus(r.collect()),
            "# HELP dijk_packets_total Packets received.\n"
            "# TYPE dijk_packets_total counter\n"
            "dijk_packets_total{lcore=\"0\"} 3\n"
            "dijk_packets_total{lcore=\"1\"} 1\n"
            "# HELP dijk_set_version Active set version.\n"
            "# TYPE dijk_set_version gauge\n"
            "dijk_set_version 42\n"
            "# HELP dijk_flows Flows \"live\"\\nnow.\n"
            "# TYPE dijk_flows gauge\n"
            "dijk_flows{port=\"a\\\"b\"} 1.5\n");
  EXPECT_THROW(r.counter("bad-name", ""), std::invalid_argument);
}

TEST(Metrics, ServedOnLoopback) {
  dijk::metrics::Registry r;
  r.counter("dijk_hits_total", "Hits.").add(7);
  dijk::metrics::HttpExporter exporter(r, "127.0.0.1:0");
  exporter.start();
  ASSERT_NE(exporter.port(), 0);
  const auto ok = http_get(exporter.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200 OK\r\n")) << ok;
  EXPECT_NE(
      ok.find("\r\n\r\n# HELP dijk_hits_total Hits.\n# TYPE dijk_hits_total counter\ndijk_hits_total 7\n"),
      std::string::npos);
  EXPECT_TRUE(http_get(exporter.port(), "GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(http_get(exporter.port(), "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
  EXPECT_TRUE(http_get(exporter.port(), "garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_EQ(exporter.scrapes().value(), 1u);
  exporter.stop();
}

}  // namespace
