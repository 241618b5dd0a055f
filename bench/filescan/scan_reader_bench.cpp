// The file scan's two readers over one tree, io_uring and pread, beside the digest bound measured in the
// same run: the same hashing and matching code (scan::FileHashState fed in chunk-sized pieces, then
// scan::FileMatcher::complete) over the same files' bytes already in memory, on as many threads as the
// scan uses. The set lists one file in LIST_EVERY by MD5 and SHA-256, as tools/bench/scan does, so the
// hashing work is the scan's. Rounds alternate the readers' order; each figure is printed beside the
// bound of its own round, and the ranges over all rounds follow.
//
// Rates are bytes over wall time and, because the machine may be shared, bytes over the CPU time of the
// whole process (every thread, kernel time and io_uring's workers included): GB per CPU-second.
// --cold drops the page cache before each reader's run (needs root: /proc/sys/vm/drop_caches).
//
//   scan_reader_bench DIR [--rounds R] [--cold-rounds R] [--threads N] [--in-flight N] [--chunk BYTES]
//                         [--list-every K]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/hashcore/bench_clock.h"
#include "dataplane/filescan/scanner.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"

namespace fs = std::filesystem;
using namespace dijk;

namespace {

struct Args {
  std::string dir;
  int rounds = 5;
  int cold_rounds = 0;
  unsigned threads = 0;
  unsigned in_flight = ScanOptions{}.files_in_flight;
  std::uint32_t chunk = ScanOptions{}.chunk_bytes;
  std::size_t list_every = 100;
};

struct InMemoryFile {
  std::string path;
  std::vector<std::uint8_t> bytes;
};

struct CountingSink final : HitSink {
  std::atomic<std::uint64_t> hits{0};
  void on_hit(const HitEvent&) override { hits.fetch_add(1, std::memory_order_relaxed); }
};

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

// One timed run: bytes, wall and process CPU seconds, hits found.
struct Run {
  std::uint64_t bytes = 0;
  double wall = 0, cpu = 0;
  std::uint64_t hits = 0;
  double gbps() const { return static_cast<double>(bytes) / wall / 1e9; }
  double gb_per_cpu_s() const { return static_cast<double>(bytes) / cpu / 1e9; }
};

std::vector<InMemoryFile> load_tree(const std::string& dir) {
  std::vector<InMemoryFile> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    InMemoryFile f;
    f.path = e.path().string();
    f.bytes.resize(e.file_size());
    std::ifstream in(f.path, std::ios::binary);
    in.read(reinterpret_cast<char*>(f.bytes.data()), static_cast<std::streamsize>(f.bytes.size()));
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

// Lists one file in `every` by MD5 and SHA-256 (the first, then every `every`th, in path order).
std::string write_set(const std::vector<InMemoryFile>& files, std::size_t every, const std::string& path) {
  SetBuilder b;
  const auto list = b.add_list("bench", "A1");
  const AlgorithmSet both = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha256);
  for (std::size_t i = 0; i < files.size(); i += every) {
    const DigestResults d = digest_buffer(both, files[i].bytes);
    b.add(d.get(Algorithm::md5), list);
    b.add(d.get(Algorithm::sha256), list);
  }
  b.write(path, 1);
  return path;
}

unsigned scan_threads(const Args& a) {
  return a.threads != 0 ? a.threads : std::max(1u, std::thread::hardware_concurrency());
}

// The digest bound: what the scan's own hashing and matching cost when reading costs nothing.
Run digest_bound(const Args& a, const std::vector<InMemoryFile>& files,
                 const std::shared_ptr<const HashSet>& set) {
  CountingSink sink;
  const unsigned threads = scan_threads(a);
  std::vector<ScanCounters> counters(threads);
  std::atomic<std::size_t> next{0};
  auto quiet = [](const std::string&, ScanProblem, const std::string&) {};
  Run r;
  const double wall0 = bench::wall_seconds(), cpu0 = process_cpu_seconds();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      scan::FileMatcher matcher(set, sink, counters[t], quiet);
      scan::FileHashState state(matcher.algorithms());
      for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < files.size();) {
        const auto& bytes = files[i].bytes;
        state.start(FileTask{files[i].path, bytes.size(), std::nullopt, {}, {}});
        for (std::size_t off = 0; off < bytes.size(); off += a.chunk)
          state.consume({bytes.data() + off, std::min<std::size_t>(a.chunk, bytes.size() - off)});
        matcher.complete(state);
      }
    });
  }
  for (auto& w : workers) w.join();
  r.wall = bench::wall_seconds() - wall0;
  r.cpu = process_cpu_seconds() - cpu0;
  for (const auto& c : counters) r.bytes += c.bytes.load();
  r.hits = sink.hits.load();
  return r;
}

Run scan(const Args& a, bool pread, const std::shared_ptr<const HashSet>& set, std::string* reader) {
  ScanOptions o;
  o.threads = a.threads;
  o.files_in_flight = a.in_flight;
  o.chunk_bytes = a.chunk;
  o.force_pread = pread;
  CountingSink sink;
  auto quiet = [](const std::string&, ScanProblem, const std::string&) {};
  const double cpu0 = process_cpu_seconds();
  const ScanSummary s = Scanner(o, set, sink, quiet).run({a.dir});
  Run r;
  r.cpu = process_cpu_seconds() - cpu0;
  r.wall = s.seconds;
  r.bytes = s.bytes;
  r.hits = s.hits;
  *reader = s.reader;
  return r;
}

// Empties the page cache so that every file comes from the disk; false (with the reason) if refused.
bool drop_page_cache(std::string* why) {
  ::sync();
  FILE* f = std::fopen("/proc/sys/vm/drop_caches", "w");
  if (f == nullptr || std::fputs("3\n", f) < 0 || std::fclose(f) != 0) {
    *why = std::strerror(errno);
    return false;
  }
  return true;
}

struct Range {
  double lo = 1e300, hi = 0;
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

// Runs `rounds` rounds of both readers (cold: the page cache dropped before each) beside the bound.
bool run_rounds(const Args& a, int rounds, bool cold, const std::vector<InMemoryFile>& files,
                const std::shared_ptr<const HashSet>& set, std::uint64_t expected_hits) {
  const char* label = cold ? "cold" : "warm";
  Range bound_r, uring_r, pread_r, uring_bound_r, pread_bound_r, ratio_r, cpu_ratio_r;
  bool ok = true;
  for (int round = 0; round < rounds; ++round) {
    const Run bound = digest_bound(a, files, set);
    Run runs[2];  // 0: io_uring, 1: pread; the order alternates so neither always runs second
    std::string readers[2];
    for (int k = 0; k < 2; ++k) {
      const int which = (round + k) % 2;
      std::string why;
      if (cold && !drop_page_cache(&why)) {
        std::printf("cold rounds: cannot drop the page cache (%s); none measured\n", why.c_str());
        return true;
      }
      runs[which] = scan(a, which == 1, set, &readers[which]);
    }
    for (int k = 0; k < 2; ++k) {
      if (runs[k].hits != expected_hits || runs[k].bytes != bound.bytes) {
        std::printf(
            "  %s found %llu hits over %llu bytes; expected %llu over %llu\n", readers[k].c_str(),
            static_cast<unsigned long long>(runs[k].hits), static_cast<unsigned long long>(runs[k].bytes),
            static_cast<unsigned long long>(expected_hits), static_cast<unsigned long long>(bound.bytes));
        ok = false;
      }
    }
    const double ratio = runs[0].gbps() / runs[1].gbps();
    const double cpu_ratio = runs[0].gb_per_cpu_s() / runs[1].gb_per_cpu_s();
    std::printf(
        "%s %d: bound %.3f GB/s (%.3f GB/cpu-s) | %s %.3f GB/s (%.3f GB/cpu-s, %.2f of bound) | "
        "%s %.3f GB/s (%.3f GB/cpu-s, %.2f of bound) | io_uring/pread %.2f (cpu %.2f)\n",
        label, round + 1, bound.gbps(), bound.gb_per_cpu_s(), readers[0].c_str(), runs[0].gbps(),
        runs[0].gb_per_cpu_s(), runs[0].gbps() / bound.gbps(), readers[1].c_str(), runs[1].gbps(),
        runs[1].gb_per_cpu_s(), runs[1].gbps() / bound.gbps(), ratio, cpu_ratio);
    std::fflush(stdout);
    bound_r.add(bound.gbps());
    uring_r.add(runs[0].gbps());
    pread_r.add(runs[1].gbps());
    uring_bound_r.add(runs[0].gbps() / bound.gbps());
    pread_bound_r.add(runs[1].gbps() / bound.gbps());
    ratio_r.add(ratio);
    cpu_ratio_r.add(cpu_ratio);
  }
  if (rounds > 0) {
    std::printf(
        "%s, %d rounds: bound %.3f-%.3f GB/s, io_uring %.3f-%.3f (%.2f-%.2f of bound), pread %.3f-%.3f "
        "(%.2f-%.2f of bound)\n",
        label, rounds, bound_r.lo, bound_r.hi, uring_r.lo, uring_r.hi, uring_bound_r.lo, uring_bound_r.hi,
        pread_r.lo, pread_r.hi, pread_bound_r.lo, pread_bound_r.hi);
    std::printf("%s ratio io_uring / pread: %.2f-%.2f (per CPU-second %.2f-%.2f)%s\n", label, ratio_r.lo,
                ratio_r.hi, cpu_ratio_r.lo, cpu_ratio_r.hi, cold ? "" : "   (goal >= 1.1)");
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : "0"; };
    if (k == "--rounds")
      a.rounds = std::stoi(next());
    else if (k == "--cold-rounds")
      a.cold_rounds = std::stoi(next());
    else if (k == "--threads")
      a.threads = static_cast<unsigned>(std::stoul(next()));
    else if (k == "--in-flight")
      a.in_flight = static_cast<unsigned>(std::stoul(next()));
    else if (k == "--chunk")
      a.chunk = static_cast<std::uint32_t>(std::stoul(next()));
    else if (k == "--list-every")
      a.list_every = std::max<std::size_t>(1, std::stoul(next()));
    else if (a.dir.empty() && k[0] != '-')
      a.dir = k;
    else
      a.dir.clear(), i = argc;
  }
  if (a.dir.empty()) {
    std::fprintf(stderr,
                 "usage: scan_reader_bench DIR [--rounds R] [--cold-rounds R] [--threads N] [--in-flight N] "
                 "[--chunk BYTES] [--list-every K]\n");
    return 64;
  }
  const std::vector<InMemoryFile> files = load_tree(a.dir);  // also warms the page cache
  std::uint64_t bytes = 0;
  for (const auto& f : files) bytes += f.bytes.size();
  char tmp[] = "/tmp/scan-reader-bench.XXXXXX";
  if (::mkdtemp(tmp) == nullptr) return 2;
  const auto set = HashSet::open(write_set(files, a.list_every, std::string(tmp) + "/bench.set"));
  const std::uint64_t listed = (files.size() + a.list_every - 1) / a.list_every;
  std::printf(
      "scan readers: %zu files, %.2f GB, %u threads, %u files in flight, %u-byte reads, %llu listed "
      "(MD5 + SHA-256)\n",
      files.size(), static_cast<double>(bytes) / 1e9, scan_threads(a), a.in_flight, a.chunk,
      static_cast<unsigned long long>(listed));
  std::printf(
      "bound: the same hashing and matching over the bytes in memory; GB/cpu-s: bytes per CPU-second of "
      "the process\n");
  // The hits both readers must find: a listed file matches by both of its digests (equal files too).
  const Run check = digest_bound(a, files, set);
  bool ok = run_rounds(a, a.rounds, false, files, set, check.hits);
  ok = run_rounds(a, a.cold_rounds, true, files, set, check.hits) && ok;
  fs::remove_all(tmp);
  return ok ? 0 : 1;
}
