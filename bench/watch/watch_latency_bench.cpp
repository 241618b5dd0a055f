// Close-to-journal latency of dijk-watch (issue #17): files written into a watched spool at a steady rate
// (default 1,000 a second, one in ten listed), each listed file's latency from its close to its hit being
// durable in the journal (the bench polls the journal every millisecond). The reference, in the same run
// on the same files: how long the kernel takes to say a file was closed (a plain inotify watch in this
// process, close to event read), so the figure shows what dijk-watch adds to the notification itself.
// It runs once with the default settle time (500 ms) and once with none, each backend as `auto` picks.
//
//   watch_latency_bench [--rate N] [--seconds S]
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/journal/journal_reader.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/util/hex.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string content(int i) {
  return "watch bench file " + std::to_string(i) + "\n" + std::string(4000, static_cast<char>('a' + i % 26));
}

std::string md5_hex(const std::string& s) {
  const auto d = dijk::digest_buffer(dijk::AlgorithmSet{}.add(dijk::Algorithm::md5),
                                     {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()})
                     .get(dijk::Algorithm::md5);
  return dijk::to_hex({d.bytes.data(), d.size()});
}

struct Result {
  std::vector<double> journal_ms;  // close -> durable in the journal, per listed file
  std::vector<double> kernel_ms;   // close -> inotify event read in this process, per file
  std::size_t listed = 0;
  std::string backend;
};

Result run(const fs::path& dir, int rate, int seconds, int settle_ms) {
  fs::remove_all(dir);
  fs::create_directories(dir / "spool");
  fs::create_directories(dir / "state");
  const int files = rate * seconds;
  std::string list;
  for (int i = 0; i < files; i += 10) list += md5_hex(content(i)) + "\n";
  std::ofstream(dir / "list.txt") << list;
  const std::string import = std::string(DIJK_HOTLINE_BIN) + " import --name bench --out " +
                             (dir / "b.set").string() + " " + (dir / "list.txt").string() + " >/dev/null";
  if (std::system(import.c_str()) != 0) throw std::runtime_error("import failed");
  std::ofstream(dir / "dijk.toml") << "appliance_id = \"bench\"\n[paths]\nset = \""
                                   << (dir / "b.set").string() << "\"\nstate = \"" << (dir / "state").string()
                                   << "\"\njournal = \"" << (dir / "jw").string()
                                   << "\"\n[[reporting.journals]]\nname = \"watch\"\n"
                                   << "dir = \"" << (dir / "journal").string()
                                   << "\"\n[scan]\nsettle_ms = " << settle_ms << "\ncheckpoint = \""
                                   << (dir / "state/cp").string() << "\"\n[[scan.watch]]\npath = \""
                                   << (dir / "spool").string() << "\"\n";
  const std::string log = (dir / "watch.log").string();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    const std::string cfg = (dir / "dijk.toml").string();
    ::execl(DIJK_WATCH_BIN, DIJK_WATCH_BIN, "--config", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  Result r;
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (const auto at = text.find("with "); at != std::string::npos) {
      r.backend = text.substr(at + 5, text.find(',', at) - at - 5);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The reference: this process's own inotify watch on the same directory.
  const int ino = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ::inotify_add_watch(ino, (dir / "spool").c_str(), IN_CLOSE_WRITE);
  std::mutex m;
  std::map<std::string, Clock::time_point> closed;  // file name -> close time
  std::map<std::string, Clock::time_point> seen;    // file name -> event read (kernel) time
  std::atomic<bool> writing{true};
  std::thread notifier([&] {
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(ino, buf, sizeof buf);
      if (n <= 0) {
        if (!writing) break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      const auto now = Clock::now();
      std::lock_guard lock(m);
      for (ssize_t off = 0; off < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        if (e->len > 0) seen.emplace(e->name, now);
        off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
  });
  std::map<std::string, Clock::time_point> journalled;  // path -> first seen durable
  std::atomic<bool> polling{true};
  std::thread poller([&] {
    std::unique_ptr<dijk::journal::JournalReader> reader;
    while (polling) {
      if (!reader && fs::exists(dir / "journal"))
        reader = std::make_unique<dijk::journal::JournalReader>(dir / "journal");
      if (reader) {
        while (auto e = reader->next())
          journalled.emplace(fs::path(e->record.hit.path).filename().string(), Clock::now());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const auto start = Clock::now();
  for (int i = 0; i < files; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * i / rate));
    const std::string name = "f" + std::to_string(i) + ".jpg";
    const std::string text = content(i);
    const int fd = ::open((dir / "spool" / name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("write");
    ::close(fd);
    const auto now = Clock::now();
    std::lock_guard lock(m);
    closed.emplace(name, now);
  }
  r.listed = static_cast<std::size_t>((files + 9) / 10);
  const auto until = Clock::now() + std::chrono::seconds(10) + std::chrono::milliseconds(settle_ms);
  while (Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(m);
    if (journalled.size() >= r.listed) break;
  }
  polling = false;
  poller.join();
  writing = false;
  notifier.join();
  ::close(ino);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::lock_guard lock(m);
  for (const auto& [name, t] : closed) {
    if (const auto s = seen.find(name); s != seen.end()) r.kernel_ms.push_back(ms(s->second - t));
    if (const auto j = journalled.find(name); j != journalled.end())
      r.journal_ms.push_back(ms(j->second - t));
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int rate = 1000, seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rate") == 0) rate = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atoi(argv[i + 1]);
  }
  const fs::path dir = fs::temp_directory_path() / ("dijk-watch-bench-" + std::to_string(getpid()));
  std::printf("%d files/s for %d s, one in ten listed, 4 KB each\n", rate, seconds);
  for (const int settle : {500, 0}) {
    const Result r = run(dir, rate, seconds, settle);
    std::printf(
        "settle %3d ms (%s): close -> journalled p50 %7.1f ms, p99 %7.1f ms (%zu of %zu listed found)\n"
        "                  reference, close -> inotify event in this process: p50 %.2f ms, p99 %.2f ms\n"
        "                  dijk-watch adds p50 %.1f ms, p99 %.1f ms to the kernel's notification\n",
        settle, r.backend.c_str(), percentile(r.journal_ms, 0.5), percentile(r.journal_ms, 0.99),
        r.journal_ms.size(), r.listed, percentile(r.kernel_ms, 0.5), percentile(r.kernel_ms, 0.99),
        percentile(r.journal_ms, 0.5) - percentile(r.kernel_ms, 0.5),
        percentile(r.journal_ms, 0.99) - percentile(r.kernel_ms, 0.99));
  }
  fs::remove_all(dir);
  return 0;
}
