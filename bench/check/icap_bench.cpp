// What ICAP costs a provider's proxy: uploads of an 81 KB JPEG through Debian's Squid asking dijk-check
// over ICAP REQMOD (every upload hashed, PDQ included, and matched before it is forwarded), against the
// same uploads through a second Squid without ICAP, in the same run. The origin is nginx answering 201,
// so the proxies and the check are what is measured. Figures: requests/s of each and their ratio; p50 and
// p99 latency of each and what ICAP adds.
// The machine may be shared: the two proxies are measured in alternating one-second rounds.
// Usage: icap_bench [ROUNDS, default 5]
#include <arpa/inet.h>
#include <curl/curl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"

using namespace dijk;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kThreads = 2;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

// A loopback port that was free a moment ago.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr)) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

// A Squid on `port` forwarding to anything on loopback; with `icap_port`, every request first goes to
// dijk-check's REQMOD service (bypass=0: nothing passes unchecked).
pid_t start_squid(const fs::path& dir, std::uint16_t port, std::uint16_t icap_port) {
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0777);  // Squid drops root for user proxy, which writes its logs here
  std::ofstream conf(dir / "squid.conf");
  conf << "http_port 127.0.0.1:" << port << "\nvisible_hostname dijk-bench\npid_filename "
       << (dir / "squid.pid").string() << "\ncache_log " << (dir / "cache.log").string()
       << "\naccess_log none\ncache deny all\nshutdown_lifetime 0 seconds\nhttp_access allow localhost\n"
       << "http_access deny all\n";
  if (icap_port != 0) {
    conf << "icap_enable on\nicap_send_client_ip on\nicap_service dijk reqmod_precache bypass=0 "
            "icap://127.0.0.1:"
         << icap_port << "/reqmod\nadaptation_access dijk allow all\n";
  }
  conf.close();
  return spawn({"/usr/sbin/squid", "-N", "-f", (dir / "squid.conf").string()}, dir / "squid.out");
}

// nginx answering 201 only after it has read the whole body, as a real upload handler does. A bare
// `return 201` answers early, and Squid then cuts the client's upload short (curl error 55): the
// proxy_pass reads the body first, to an inner server that says 201 without it.
pid_t start_origin(const fs::path& dir, std::uint16_t port, std::uint16_t inner_port) {
  fs::create_directories(dir / "logs");
  std::ofstream(dir / "nginx.conf")
      << "worker_processes 1;\npid " << (dir / "nginx.pid").string() << ";\nerror_log "
      << (dir / "error.log").string() << ";\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path "
      << (dir / "body").string()
      << ";\n  client_body_buffer_size 1m;\n  server {\n    listen 127.0.0.1:" << port
      << ";\n    client_max_body_size 8m;\n    location / {\n      proxy_pass http://127.0.0.1:" << inner_port
      << ";\n      proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n"
         "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }\n  }\n"
         "  server {\n    listen 127.0.0.1:"
      << inner_port << ";\n    location / { return 201 \"stored\\n\"; }\n  }\n}\n";
  return spawn(
      {"/usr/sbin/nginx", "-p", dir.string(), "-c", (dir / "nginx.conf").string(), "-g", "daemon off;"},
      dir / "nginx.out");
}

// One keep-alive client per thread; each upload's status and latency.
class ProxyClient {
 public:
  ProxyClient(std::uint16_t proxy, std::uint16_t origin, const std::string& body) {
    c_ = curl_easy_init();
    headers_ = curl_slist_append(nullptr, "Content-Type: image/jpeg");
    headers_ = curl_slist_append(headers_, "Expect:");
    const std::string url = "http://127.0.0.1:" + std::to_string(origin) + "/photos";
    curl_easy_setopt(c_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c_, CURLOPT_PROXY, ("http://127.0.0.1:" + std::to_string(proxy)).c_str());
    curl_easy_setopt(c_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(c_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c_, CURLOPT_WRITEFUNCTION, &discard);
    curl_easy_setopt(c_, CURLOPT_TIMEOUT, 30L);
  }
  ~ProxyClient() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(c_);
  }
  ProxyClient(const ProxyClient&) = delete;
  ProxyClient& operator=(const ProxyClient&) = delete;

  // The HTTP status, or minus curl's error code when there was no answer.
  long upload() {
    long status = 0;
    const CURLcode rc = curl_easy_perform(c_);
    if (rc != CURLE_OK) return -static_cast<long>(rc);
    curl_easy_getinfo(c_, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }

 private:
  CURL* c_ = nullptr;
  curl_slist* headers_ = nullptr;
};

struct Sample {
  std::uint64_t requests = 0;
  std::uint64_t failed = 0;
  long last_failure = 0;  // the status (or -curl error) of the last failed upload, to say why
  double seconds = 0;
  std::vector<double> latency_ms;
};

// kThreads clients upload through `proxy` for one second.
void round(std::vector<std::unique_ptr<ProxyClient>>& clients, long expected, Sample& out) {
  std::atomic<bool> stop_flag{false};
  std::mutex m;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      std::vector<double> mine;
      std::uint64_t failed = 0;
      long last_failure = 0;
      while (!stop_flag.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        const long status = c->upload();
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (status != expected) {
          ++failed;
          last_failure = status;
        }
      }
      std::lock_guard lock(m);
      out.requests += mine.size();
      out.failed += failed;
      if (failed != 0) out.last_failure = last_failure;
      out.latency_ms.insert(out.latency_ms.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop_flag = true;
  for (auto& t : threads) t.join();
  out.seconds += std::chrono::duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

bool wait_for(std::uint16_t proxy, std::uint16_t origin, const std::string& body, long expected) {
  ProxyClient probe(proxy, origin, body);
  for (int i = 0; i < 200; ++i) {
    if (probe.upload() == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const fs::path dir = fs::temp_directory_path() / ("icap-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "state");
  const fs::path images = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
  const std::string clean = read_file(images / "bridge-mods__square-512x512.jpg");
  const std::string listed = read_file(images / "bridge-mods__aaa-orig.jpg");

  // 100,000 random MD5s and the one listed image, whose upload must come back 403 before we measure.
  {
    SetBuilder builder;
    const auto list = builder.add_list("bench", "B");
    std::mt19937_64 rng(7);
    for (int i = 0; i < 100'000; ++i) {
      Digest d;
      d.algorithm = Algorithm::md5;
      for (std::size_t b = 0; b < 16; b += 8) {
        const std::uint64_t v = rng();
        std::memcpy(d.bytes.data() + b, &v, 8);
      }
      builder.add(d, list);
    }
    const auto digests = digest_buffer(AlgorithmSet{}.add(Algorithm::md5),
                                       {reinterpret_cast<const std::uint8_t*>(listed.data()), listed.size()});
    builder.add(digests.get(Algorithm::md5), list);
    builder.write((dir / "current.set").string(), 1);
  }

  const std::uint16_t icap_port = free_port(), origin_port = free_port(), plain_port = free_port(),
                      icap_proxy_port = free_port(), inner_port = free_port();
  std::ofstream(dir / "dijk.toml") << "[paths]\nset = \"" << (dir / "current.set").string()
                                   << "\"\nstate = \"" << (dir / "state").string()
                                   << "\"\n[check_api]\nsocket = \"" << (dir / "check.sock").string()
                                   << "\"\nsocket_group = \"\"\nthreads = 2\njournal = \""
                                   << (dir / "journal").string() << "\"\nmetrics_listen = \"\"\n"
                                   << "[icap]\nlisten = \"127.0.0.1:" << icap_port << "\"\n"
                                   << "[admin]\ncheck_socket = \"" << (dir / "admin.sock").string()
                                   << "\"\ngroup = \"" << ::getgrgid(::getegid())->gr_name << "\"\n";
  const pid_t check = spawn({DIJK_CHECK_BIN, "--config", (dir / "dijk.toml").string()}, dir / "check.out");
  const pid_t origin = start_origin(dir / "origin", origin_port, inner_port);
  const pid_t plain = start_squid(dir / "squid-plain", plain_port, 0);
  const pid_t with_icap = start_squid(dir / "squid-icap", icap_proxy_port, icap_port);

  int rc = 0;
  if (!wait_for(plain_port, origin_port, clean, 201) || !wait_for(icap_proxy_port, origin_port, clean, 201) ||
      !wait_for(icap_proxy_port, origin_port, listed, 403)) {
    std::fprintf(stderr, "icap_bench: the proxies did not come up as expected; logs in %s\n", dir.c_str());
    rc = 1;
  } else {
    std::vector<std::unique_ptr<ProxyClient>> plain_clients, icap_clients;
    for (int t = 0; t < kThreads; ++t) {
      plain_clients.push_back(std::make_unique<ProxyClient>(plain_port, origin_port, clean));
      icap_clients.push_back(std::make_unique<ProxyClient>(icap_proxy_port, origin_port, clean));
    }
    Sample plain_s, icap_s;
    for (int i = 0; i < rounds; ++i) {
      round(plain_clients, 201, plain_s);
      round(icap_clients, 201, icap_s);
    }
    const double plain_rps = static_cast<double>(plain_s.requests) / plain_s.seconds;
    const double icap_rps = static_cast<double>(icap_s.requests) / icap_s.seconds;
    const double plain_p50 = percentile(plain_s.latency_ms, 0.50),
                 icap_p50 = percentile(icap_s.latency_ms, 0.50);
    const double plain_p99 = percentile(plain_s.latency_ms, 0.99),
                 icap_p99 = percentile(icap_s.latency_ms, 0.99);
    std::printf(
        "uploads of a %zu-byte JPEG through Squid, %d keep-alive clients, %d rounds:\n"
        "  with ICAP (dijk-check): %.0f req/s, p50 %.2f ms, p99 %.2f ms, %llu failed\n"
        "  Squid alone:            %.0f req/s, p50 %.2f ms, p99 %.2f ms, %llu failed\n"
        "  ratio %.2f of Squid alone; ICAP adds %.2f ms at p50, %.2f ms at p99\n",
        clean.size(), kThreads, rounds, icap_rps, icap_p50, icap_p99,
        static_cast<unsigned long long>(icap_s.failed), plain_rps, plain_p50, plain_p99,
        static_cast<unsigned long long>(plain_s.failed), icap_rps / plain_rps, icap_p50 - plain_p50,
        icap_p99 - plain_p99);
    for (const auto* s : {&icap_s, &plain_s}) {
      if (s->failed != 0) {
        std::printf("  %s: last failure %s %ld\n", s == &icap_s ? "with ICAP" : "Squid alone",
                    s->last_failure < 0 ? "curl error" : "HTTP status", std::labs(s->last_failure));
      }
    }
    rc = icap_s.failed + plain_s.failed == 0 ? 0 : 1;
  }
  for (pid_t p : {with_icap, plain, origin, check}) stop(p);
  if (rc == 0) fs::remove_all(dir);
  return rc;
}
