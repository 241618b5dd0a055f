// dijk-check figures, each beside a reference measured in the same run:
//  1. POST /v1/check on an 81 KB JPEG from 2 client threads over the unix socket (keep-alive), against
//     the same hashing (digests + type + PDQ + lookups: CheckEngine::check_file) on 2 threads in-process.
//     Goal: >= 0.8x.
//  2. POST /v1/hashes with 10,000 sha256 hashes a request from 2 client threads: lookups/s, against the
//     same lookups in-process (CheckEngine::lookup) on 2 threads. Goal: >= 200,000 lookups/s.
// The machine may be shared: each figure and its reference run in alternating one-second rounds, so a
// change in load hits both alike.
// Usage: check_bench [ROUNDS, default 5]
#include <curl/curl.h>
#include <signal.h>
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
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apps/dijk-check/check_engine.h"
#include "dataplane/pipeline/live_set.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/util/hex.h"

using namespace dijk;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kThreads = 2;
constexpr std::size_t kHashesPerRequest = 10000;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

// Runs fn(thread) on kThreads threads until `seconds` pass; fn returns the units it did per call.
template <typename Fn>
double rate(double seconds, Fn fn) {
  std::atomic<std::uint64_t> units{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) units.fetch_add(fn(t), std::memory_order_relaxed);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  return static_cast<double>(units.load()) / std::chrono::duration<double>(Clock::now() - start).count();
}

// Alternates one-second rounds of a and b; their average rates.
template <typename A, typename B>
std::pair<double, double> interleaved(int rounds, A a, B b) {
  double ra = 0, rb = 0;
  for (int i = 0; i < rounds; ++i) {
    ra += rate(1.0, a);
    rb += rate(1.0, b);
  }
  return {ra / rounds, rb / rounds};
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const fs::path dir = fs::temp_directory_path() / ("check-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "state");
  const fs::path images = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
  // One file for both sides: with a mix, whichever side happened to draw more small files would look faster.
  const std::vector<std::string> files{read_file(images / "bridge-mods__square-512x512.jpg")};

  // A set of 1M random sha256 hashes (the lookups' misses walk real buckets).
  std::mt19937_64 rng(7);
  std::vector<std::string> hex_hashes;
  {
    SetBuilder builder;
    const auto list = builder.add_list("bench", "B");
    for (int i = 0; i < 1'000'000; ++i) {
      Digest d;
      d.algorithm = Algorithm::sha256;
      for (std::size_t b = 0; b < 32; b += 8) {
        const std::uint64_t v = rng();
        std::memcpy(d.bytes.data() + b, &v, 8);
      }
      builder.add(d, list);
      if (i % 200 == 0 && hex_hashes.size() < kHashesPerRequest / 2)
        hex_hashes.push_back(to_hex({d.bytes.data(), 32}));
    }
    builder.write((dir / "current.set").string(), 1);
  }
  while (hex_hashes.size() < kHashesPerRequest) {  // half listed, half not
    std::string h(64, '0');
    for (char& c : h) c = "0123456789abcdef"[rng() % 16];
    hex_hashes.push_back(h);
  }
  std::string hashes_body = "{\"hashes\":[";
  for (std::size_t i = 0; i < hex_hashes.size(); ++i)
    hashes_body += (i ? ",\"" : "\"") + hex_hashes[i] + "\"";
  hashes_body += "]}";

  const fs::path sock = dir / "check.sock";
  std::ofstream(dir / "dijk.toml") << "[paths]\nset = \"" << (dir / "current.set").string()
                                   << "\"\nstate = \"" << (dir / "state").string()
                                   << "\"\n[check_api]\nsocket = \"" << sock.string()
                                   << "\"\nsocket_group = \"\"\nrate_per_client = 1000000\nthreads = 2\n"
                                   << "journal = \"" << (dir / "journal").string()
                                   << "\"\nmetrics_listen = \"\"\n";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string config = (dir / "dijk.toml").string();
    ::execl(DIJK_CHECK_BIN, DIJK_CHECK_BIN, "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 200 && !fs::exists(sock); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));

  // One keep-alive curl handle per client thread.
  std::vector<CURL*> handles;
  for (int t = 0; t < kThreads; ++t) {
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard);
    handles.push_back(c);
  }
  auto post = [&](int t, const char* path, const std::string& body) {
    CURL* c = handles[static_cast<std::size_t>(t)];
    curl_easy_setopt(c, CURLOPT_URL, (std::string("http://localhost") + path).c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status == 200;
  };

  LiveSet live((dir / "current.set").string());
  check::CheckEngine engine(live, 31);
  match::FileContext where;  // the service makes one per request too
  where.source = HitSource::api;
  std::atomic<std::uint64_t> turn{0};

  const auto [api_checks, local_checks] = interleaved(
      rounds,
      [&](int t) -> std::uint64_t {
        return post(t, "/v1/check", files[turn.fetch_add(1) % files.size()]) ? 1 : 0;
      },
      [&](int) -> std::uint64_t {
        const std::string& f = files[turn.fetch_add(1) % files.size()];
        engine.check_file({reinterpret_cast<const std::uint8_t*>(f.data()), f.size()}, where);
        return 1;
      });
  std::printf(
      "POST /v1/check (a %zu-byte 512x512 JPEG, %d clients): %.0f checks/s; in-process %.0f/s; "
      "ratio %.2f (goal >= 0.8)\n",
      files[0].size(), kThreads, api_checks, local_checks, api_checks / local_checks);

  std::vector<std::vector<std::uint8_t>> digests;
  for (const auto& h : hex_hashes) digests.push_back(*from_hex(h));
  std::vector<check::DigestQuery> queries;
  for (const auto& d : digests) queries.push_back({Algorithm::sha256, d});
  const auto [api_lookups, local_lookups] = interleaved(
      rounds,
      [&](int t) -> std::uint64_t { return post(t, "/v1/hashes", hashes_body) ? kHashesPerRequest : 0; },
      [&](int) -> std::uint64_t { return engine.lookup_batch(queries).size(); });
  std::printf(
      "POST /v1/hashes (%zu sha256 a request, %d clients): %.0f lookups/s (goal >= 200000); "
      "in-process %.0f/s; ratio %.2f\n",
      kHashesPerRequest, kThreads, api_lookups, local_lookups, api_lookups / local_lookups);

  for (CURL* c : handles) curl_easy_cleanup(c);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  fs::remove_all(dir);
  return 0;
}
