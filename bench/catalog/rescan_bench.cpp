// Issue #17's re-scan figure: an unchanged tree of N files (default 1,000,000) scanned again with the
// catalog, which reads no file and checks each one's stat against its record, beside `find TREE -newer
// STAMP` over the same tree in the same run (the stat of every file, nothing else: the floor of a
// re-scan that decides by stat). The tree is made once in DIR and kept (--keep reuses it); both walks
// run with the tree's metadata in the page cache, after one untimed walk each.
//
//   rescan_bench [--files N] [--runs R] [--dir DIR] [--keep]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "dataplane/catalog/catalog_store.h"
#include "dataplane/filescan/scanner.h"
#include "hashcore/set/set_builder.h"

namespace fs = std::filesystem;
using namespace dijk;

namespace {

struct Args {
  std::uint64_t files = 1'000'000;
  int runs = 3;
  std::string dir = "/var/tmp/dijk-rescan-bench";
  bool keep = false;
};

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct NoHits final : HitSink {
  void on_hit(const HitEvent&) override {}
};

void make_tree(const Args& a, const fs::path& tree) {
  fs::remove_all(tree);
  const std::uint64_t per_dir = 1000;
  for (std::uint64_t i = 0; i < a.files; ++i) {
    const fs::path d = tree / ("d" + std::to_string(i / per_dir));
    if (i % per_dir == 0) fs::create_directories(d);
    std::ofstream(d / ("f" + std::to_string(i))) << "stored file " << i << "\n";
  }
}

double find_newer(const fs::path& tree, const fs::path& stamp, std::uint64_t& listed) {
  const std::string cmd = "find " + tree.string() + " -type f -newer " + stamp.string() + " | wc -l";
  const auto t0 = std::chrono::steady_clock::now();
  FILE* p = ::popen(cmd.c_str(), "r");
  unsigned long long n = 0;
  if (p == nullptr || std::fscanf(p, "%llu", &n) != 1) n = ~0ull;
  if (p != nullptr) ::pclose(p);
  listed = n;
  return since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--files")
      a.files = std::stoull(next());
    else if (k == "--runs")
      a.runs = std::stoi(next());
    else if (k == "--dir")
      a.dir = next();
    else if (k == "--keep")
      a.keep = true;
    else {
      std::fprintf(stderr, "usage: rescan_bench [--files N] [--runs R] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  const fs::path tree = fs::path(a.dir) / "tree";
  const fs::path stamp = fs::path(a.dir) / "stamp";
  const std::string catalog_dir = a.dir + "/catalog";
  fs::create_directories(a.dir);
  SetBuilder b;
  Digest d;
  d.algorithm = Algorithm::md5;
  d.bytes.fill(7);
  b.add(d, b.add_list("bench", "A1"));
  b.write(a.dir + "/bench.set", 1);
  const auto set = HashSet::open(a.dir + "/bench.set");
  NoHits no_hits;
  auto quiet = [](const std::string&, ScanProblem, const std::string&) {};

  if (!(a.keep && fs::exists(stamp) && fs::exists(catalog_dir + "/CURRENT"))) {
    auto t0 = std::chrono::steady_clock::now();
    make_tree(a, tree);
    std::printf("made %llu files in %.1f s\n", static_cast<unsigned long long>(a.files), since(t0));
    std::ofstream(stamp) << "after the tree\n";
    fs::remove_all(catalog_dir);
    catalog::CatalogStore store(catalog_dir, catalog::CatalogStore::Mode::read_write);
    ScanOptions o;
    o.catalog = &store;
    t0 = std::chrono::steady_clock::now();
    const ScanSummary first = Scanner(o, set, no_hits, quiet).run({tree.string()});
    std::printf("first scan, catalogued %llu files in %.1f s\n",
                static_cast<unsigned long long>(first.catalogued), since(t0));
  }
  catalog::CatalogStore store(catalog_dir, catalog::CatalogStore::Mode::read_write);
  ScanOptions o;
  o.catalog = &store;
  std::uint64_t listed = 0;
  (void)find_newer(tree, stamp, listed);  // warm: the tree's metadata in the page cache
  (void)Scanner(o, set, no_hits, quiet).run({tree.string()});
  for (int run = 0; run < a.runs; ++run) {
    const ScanSummary s = Scanner(o, set, no_hits, quiet).run({tree.string()});
    const double find_s = find_newer(tree, stamp, listed);
    std::printf(
        "run %d: re-scan of %llu unchanged files (%llu read) %.2f s   find -newer %.2f s (listed %llu)   "
        "ratio "
        "%.2f of find's time\n",
        run + 1, static_cast<unsigned long long>(s.unchanged), static_cast<unsigned long long>(s.files),
        s.seconds, find_s, static_cast<unsigned long long>(listed), s.seconds / find_s);
    if (s.files != 0 || s.unchanged != a.files) {
      std::fprintf(stderr, "the re-scan read files it should have left\n");
      return 1;
    }
  }
  return 0;
}
