// dijk-check figures, each beside a reference measured in the same run:
//  1. POST /v1/check on an 81 KB JPEG from 4 client threads over the unix socket (keep-alive) to
//     dijk-check with 2 workers, against the same hashing (digests + type + PDQ + lookups:
//     CheckEngine::check_file) on 2 threads in-process. Goal: >= 0.8x, of checks a CPU second of the
//     process doing them (the clients run on the same two cores here, on other hosts in a deployment);
//     the ratio of wall rates is printed beside it.
//  2. POST /v1/hashes with 10,000 sha256 hashes a request from 4 client threads: lookups/s, against the
//     same lookups in-process (CheckEngine::lookup) on 2 threads. Goal: >= 200,000 lookups/s.
// The machine may be shared: each figure and its reference run in alternating one-second rounds, so a
// change in load hits both alike.
// Usage: check_bench [ROUNDS, default 5]
#include <curl/curl.h>
#include <grp.h>
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

constexpr int kThreads = 2;  // the cores: the in-process reference's threads and dijk-check's workers
// Clients of the API: two a core, since a synchronous client leaves the server idle for each round trip and
// a server is measured busy; a platform calls it from many upload handlers at once.
constexpr int kClients = 2 * kThreads;
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

// CPU seconds (user + system) a process has used: this one's, or dijk-check's from /proc.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));  // after "pid (comm) "
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Units a second of wall time, and a CPU second of the process that does the work.
struct Rates {
  double per_second = 0, per_cpu_second = 0;
};

// Runs fn(thread) on `threads` threads until `seconds` pass; fn returns the units it did per call. The
// work is done by process `worker` (this one, or dijk-check for the API).
template <typename Fn>
Rates rate(int threads, double seconds, pid_t worker, Fn fn) {
  std::atomic<std::uint64_t> units{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const double cpu0 = cpu_seconds(worker);
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) units.fetch_add(fn(t), std::memory_order_relaxed);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : workers) th.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = std::max(1e-9, cpu_seconds(worker) - cpu0);
  const auto n = static_cast<double>(units.load());
  return {n / wall, n / cpu};
}

// Alternates one-second rounds of the API (a, kClients clients of dijk-check at `server`) and the
// in-process reference (b, kThreads threads); their average rates.
template <typename A, typename B>
std::pair<Rates, Rates> interleaved(int rounds, pid_t server, A a, B b) {
  Rates ra, rb;
  for (int i = 0; i < rounds; ++i) {
    const Rates x = rate(kClients, 1.0, server, a), y = rate(kThreads, 1.0, ::getpid(), b);
    ra.per_second += x.per_second / rounds;
    ra.per_cpu_second += x.per_cpu_second / rounds;
    rb.per_second += y.per_second / rounds;
    rb.per_cpu_second += y.per_cpu_second / rounds;
  }
  return {ra, rb};
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
                                   << "\"\nmetrics_listen = \"\"\n[admin]\ncheck_socket = \""
                                   << (dir / "admin.sock").string() << "\"\ngroup = \""
                                   << ::getgrgid(::getegid())->gr_name << "\"\n";
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
  for (int t = 0; t < kClients; ++t) {
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
      rounds, pid,
      [&](int t) -> std::uint64_t {
        return post(t, "/v1/check", files[turn.fetch_add(1) % files.size()]) ? 1 : 0;
      },
      [&](int) -> std::uint64_t {
        const std::string& f = files[turn.fetch_add(1) % files.size()];
        engine.check_file({reinterpret_cast<const std::uint8_t*>(f.data()), f.size()}, where);
        return 1;
      });
  // Two ratios: of wall rates, where the clients (curl) take their share of the same two cores, and of
  // checks a CPU second of the process doing them, the server's own cost with the callers elsewhere, as
  // they are in a deployment.
  std::printf(
      "POST /v1/check (a %zu-byte 512x512 JPEG, %d clients, %d workers):\n"
      "  %.0f checks/s; in-process on %d threads %.0f/s; ratio %.2f (the clients share the cores)\n"
      "  %.0f checks a CPU second of dijk-check; in-process %.0f; ratio %.2f (goal >= 0.8)\n",
      files[0].size(), kClients, kThreads, api_checks.per_second, kThreads, local_checks.per_second,
      api_checks.per_second / local_checks.per_second, api_checks.per_cpu_second, local_checks.per_cpu_second,
      api_checks.per_cpu_second / local_checks.per_cpu_second);

  std::vector<std::vector<std::uint8_t>> digests;
  for (const auto& h : hex_hashes) digests.push_back(*from_hex(h));
  std::vector<check::DigestQuery> queries;
  for (const auto& d : digests) queries.push_back({Algorithm::sha256, d});
  const auto [api_lookups, local_lookups] = interleaved(
      rounds, pid,
      [&](int t) -> std::uint64_t { return post(t, "/v1/hashes", hashes_body) ? kHashesPerRequest : 0; },
      [&](int) -> std::uint64_t { return engine.lookup_batch(queries).size(); });
  std::printf(
      "POST /v1/hashes (%zu sha256 a request, %d clients): %.0f lookups/s (goal >= 200000); "
      "in-process %.0f/s; ratio %.2f\n",
      kHashesPerRequest, kClients, api_lookups.per_second, local_lookups.per_second,
      api_lookups.per_second / local_lookups.per_second);

  for (CURL* c : handles) curl_easy_cleanup(c);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  fs::remove_all(dir);
  return 0;
}
