// Issue #17's retro-hunt figure: a catalog of N stored files (default 10M) hunted for a delta of D added
// hashes (default 100k), on one core, beside what a full re-read of the same bytes would take at the
// scan rate measured in the same run. Also prints the catalog's bytes a file, after compaction, beside
// the bytes its records hold (the flat floor).
//
//   retro_hunt_bench [--entries N] [--delta D] [--pdq-share S] [--runs R] [--dir DIR] [--keep]
//
// The catalog is synthetic but shaped like a real one: dense inode numbers on one device, half of the
// files images with a PDQ hash, sizes 10 KB .. 1 MB (mean about 500 KB), times of the last year in
// nanoseconds. The delta is D hashes, a share S of them PDQ (default 0.3), the rest MD5 and SHA-1; 100
// of its digests and 100 of its PDQ hashes (3..20 bits from a catalogued one) are planted, so the hunt
// must name at least 200 candidates. The scan-rate reference reads 512 MiB of files (page cache, hot:
// the most favourable case for re-reading) through the real Scanner on one thread with MD5 and SHA-1.
// --keep reuses a catalog already built in DIR with the same N.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "dataplane/catalog/catalog_store.h"
#include "dataplane/catalog/retro_hunt.h"
#include "dataplane/filescan/scanner.h"
#include "hashcore/set/set_builder.h"

namespace fs = std::filesystem;
using namespace dijk;
using namespace dijk::catalog;

namespace {

// This thread's CPU time: what "on one core" costs, whatever else the machine runs meanwhile.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Args {
  std::uint64_t entries = 10'000'000, delta = 100'000;
  double pdq_share = 0.3;
  int runs = 3;
  std::string dir = "/var/tmp/dijk-retro-hunt-bench";
  bool keep = false;
};

CatalogRecord synthetic(std::mt19937_64& rng) {
  CatalogRecord r;
  r.stat.size = 10'000 + rng() % 990'000;
  r.stat.mtime_ns = 1'733'000'000'000'000'000 + static_cast<std::int64_t>(rng() % 31'536'000'000'000'000ull);
  r.stat.ctime_ns = r.stat.mtime_ns + static_cast<std::int64_t>(rng() % 1'000'000'000);
  r.digests = {rng(), rng(), rng()};
  if (rng() % 2 == 0) {
    PdqHash h;
    for (std::size_t i = 0; i < 32; i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(h.bytes.data() + i, &v, 8);
    }
    r.pdq = h;
    r.pdq_quality = static_cast<std::uint8_t>(60 + rng() % 41);
  }
  return r;
}

// Builds the catalog (or reuses it) and returns the summed file sizes.
std::uint64_t build_catalog(const Args& a, SetAdditions& delta) {
  const std::string path = a.dir + "/catalog";
  const bool reuse = a.keep && fs::exists(path + "/CURRENT");
  if (!reuse) fs::remove_all(path);
  CatalogStore store(path, CatalogStore::Mode::read_write);
  std::mt19937_64 rng(17);
  std::mt19937_64 plant(99);
  std::uint64_t bytes = 0;
  std::uint64_t exact_planted = 0, pdq_planted = 0;
  const std::uint64_t every = std::max<std::uint64_t>(1, a.entries / 100);
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::unique_ptr<CatalogStore::Writer> w =
        reuse ? nullptr : std::make_unique<CatalogStore::Writer>(store, 1024);
    for (std::uint64_t i = 0; i < a.entries; ++i) {
      const CatalogRecord r = synthetic(rng);
      bytes += r.stat.size;
      if (w) w->put({2049, 1000 + i}, r);
      // Plant a digest of one record and a near PDQ hash of another image into the delta, 100 of each.
      if (i % every == every / 2 && exact_planted < 100) {
        delta.exact[exact_planted % 2].push_back(*r.digests[exact_planted % 2]);
        ++exact_planted;
      }
      if (i % every >= every / 4 && i % every < every / 2 && r.pdq && pdq_planted < 100 &&
          delta.pdq.size() < i / every + 1) {
        PdqHash near = *r.pdq;
        const int flips = 3 + static_cast<int>(plant() % 18);
        for (int f = 0; f < flips; ++f)
          near.bytes[plant() % 32] ^= static_cast<std::uint8_t>(1u << (plant() % 8));
        delta.pdq.push_back(near);
        ++pdq_planted;
      }
    }
  }
  if (!reuse) {
    store.compact();
    std::printf("built %llu records in %.1f s\n", static_cast<unsigned long long>(a.entries), since(t0));
  }
  const CatalogStats s = store.stats();
  // The floor: the key and the encoded value of each record, nothing else.
  std::mt19937_64 again(17);
  double encoded = 0;
  for (int i = 0; i < 100000; ++i)
    encoded += static_cast<double>(kKeyBytes + encode_record(synthetic(again)).size());
  encoded /= 100000;
  std::printf(
      "catalog: %.1f bytes a file on disk (%.1f bytes a record's key and value: %.2fx; goal <= 100)\n",
      static_cast<double>(s.disk_bytes) / static_cast<double>(a.entries), encoded,
      static_cast<double>(s.disk_bytes) / static_cast<double>(a.entries) / encoded);
  return bytes;
}

void fill_delta(const Args& a, SetAdditions& delta) {
  std::mt19937_64 rng(5);
  const auto pdq_total = static_cast<std::uint64_t>(static_cast<double>(a.delta) * a.pdq_share);
  const std::uint64_t exact_total = a.delta - pdq_total;
  while (delta.pdq.size() < pdq_total) {
    PdqHash h;
    for (std::size_t i = 0; i < 32; i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(h.bytes.data() + i, &v, 8);
    }
    delta.pdq.push_back(h);
  }
  for (std::uint64_t i = delta.exact_count(); i < exact_total; ++i) delta.exact[i % 2].push_back(rng());
  for (auto& v : delta.exact) std::sort(v.begin(), v.end());
}

// MB/s of the real Scanner on one thread, MD5 and SHA-1, over 512 MiB of hot files.
double scan_rate(const Args& a) {
  const fs::path tree = a.dir + "/scan-reference";
  fs::remove_all(tree);
  fs::create_directories(tree);
  std::vector<char> chunk(8 << 20);
  std::mt19937_64 rng(3);
  for (auto& c : chunk) c = static_cast<char>(rng());
  for (int i = 0; i < 64; ++i) {
    std::ofstream out(tree / ("f" + std::to_string(i)), std::ios::binary);
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  }
  SetBuilder b;
  const auto list = b.add_list("bench", "A1");
  Digest md5, sha1;
  md5.algorithm = Algorithm::md5;
  sha1.algorithm = Algorithm::sha1;
  md5.bytes.fill(1);
  sha1.bytes.fill(2);
  b.add(md5, list);
  b.add(sha1, list);
  b.write(a.dir + "/reference.set", 1);
  const auto set = HashSet::open(a.dir + "/reference.set");
  struct NoHits final : HitSink {
    void on_hit(const HitEvent&) override {}
  } no_hits;
  ScanOptions o;
  o.threads = 1;
  Scanner warm(o, set, no_hits, [](const std::string&, ScanProblem, const std::string&) {});
  warm.run({tree.string()});  // into the page cache
  Scanner s(o, set, no_hits, [](const std::string&, ScanProblem, const std::string&) {});
  const ScanSummary r = s.run({tree.string()});
  fs::remove_all(tree);
  return static_cast<double>(r.bytes) / r.seconds;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--entries")
      a.entries = std::stoull(next());
    else if (k == "--delta")
      a.delta = std::stoull(next());
    else if (k == "--pdq-share")
      a.pdq_share = std::stod(next());
    else if (k == "--runs")
      a.runs = std::stoi(next());
    else if (k == "--dir")
      a.dir = next();
    else if (k == "--keep")
      a.keep = true;
    else {
      std::fprintf(stderr,
                   "usage: retro_hunt_bench [--entries N] [--delta D] [--pdq-share S] [--runs R] [--dir DIR] "
                   "[--keep]\n");
      return 2;
    }
  }
  fs::create_directories(a.dir);
  SetAdditions delta;
  const std::uint64_t catalogued_bytes = build_catalog(a, delta);
  const std::uint64_t delta_planted = delta.exact_count() + delta.pdq.size();
  fill_delta(a, delta);
  std::printf("delta: %llu digests, %zu PDQ hashes (%llu planted)\n",
              static_cast<unsigned long long>(delta.exact_count()), delta.pdq.size(),
              static_cast<unsigned long long>(delta_planted));
  const double rate = scan_rate(a);
  const double reread_s = static_cast<double>(catalogued_bytes) / rate;
  CatalogStore store(a.dir + "/catalog", CatalogStore::Mode::read_only);
  for (int run = 0; run < a.runs; ++run) {
    HuntCounts counts;
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = thread_cpu_seconds();
    const auto candidates = hunt_candidates(store, delta, counts);
    const double cpu = thread_cpu_seconds() - cpu0;
    const double s = since(t0);
    std::printf(
        "run %d: hunt %.2f s (%.2f s of CPU) for %llu records (%llu images), %llu candidates (%llu exact, "
        "%llu PDQ)   "
        "(pass %.2f, PDQ join %.2f)   re-read of %.2f TB at the measured %.0f MB/s: %.0f s "
        "  ratio %.0fx faster (by CPU %.0fx)\n",
        run + 1, s, cpu, static_cast<unsigned long long>(counts.records),
        static_cast<unsigned long long>(counts.images), static_cast<unsigned long long>(candidates.size()),
        static_cast<unsigned long long>(counts.exact_candidates),
        static_cast<unsigned long long>(counts.pdq_candidates), counts.pass_seconds, counts.search_seconds,
        static_cast<double>(catalogued_bytes) / 1e12, rate / 1e6, reread_s, reread_s / s, reread_s / cpu);
    if (candidates.size() < delta_planted) {
      std::fprintf(stderr, "the hunt missed planted candidates\n");
      return 1;
    }
  }
  return 0;
}
