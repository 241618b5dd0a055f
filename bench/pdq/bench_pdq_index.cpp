// The PDQ index at 1M (and with --big, 10M) hashes, random and clustered, radius 31, one core: queries/s,
// recall checked against brute force, build time, bytes per hash. Beside it in the same run: faiss
// IndexBinaryMultiHash (16 tables of 16 bits, nflip=1, radius 32 exclusive: exact at <= 31),
// IndexBinaryFlat, and a brute-force popcount scan built with -march=native.
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <malloc.h>
#include <omp.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/pdq/brute_force_scan.h"
#include "hashcore/pdq_index/pdq_index.h"

namespace {

using Words = std::array<std::uint64_t, 4>;
// Thread CPU time, not wall time: the machine is shared, and every contender runs on this one thread.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};
double since(double t) {
  return Clock::now() - t;
}

std::uint64_t resident_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::uint64_t>(resident) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

Words random_words(std::mt19937_64& rng) {
  return {rng(), rng(), rng(), rng()};
}
Words flip(Words w, int bits, std::mt19937_64& rng) {
  for (int k = 0; k < bits; ++k) {
    const auto b = rng() % 256;
    w[b / 64] ^= std::uint64_t{1} << (b % 64);  // may hit a bit twice: distance <= bits
  }
  return w;
}

// Random hashes, or clusters: seeds with a few bits flipped, as lists of near-duplicates look.
std::vector<std::uint64_t> make_data(std::size_t n, bool clustered, std::mt19937_64& rng) {
  std::vector<std::uint64_t> data(4 * n);
  std::vector<Words> seeds;
  for (std::size_t i = 0; i < n; ++i) {
    Words w;
    if (!clustered) {
      w = random_words(rng);
    } else {
      if (seeds.empty() || rng() % 16 == 0) seeds.push_back(random_words(rng));
      w = flip(seeds[rng() % seeds.size()], static_cast<int>(rng() % 16), rng);
    }
    std::memcpy(&data[4 * i], w.data(), 32);
  }
  return data;
}

// Half the queries are near a stored hash (0..40 bits away), half unrelated: a mix of hits and misses.
std::vector<std::uint64_t> make_queries(const std::vector<std::uint64_t>& data, std::size_t nq,
                                        std::mt19937_64& rng) {
  const std::size_t n = data.size() / 4;
  std::vector<std::uint64_t> q(4 * nq);
  for (std::size_t i = 0; i < nq; ++i) {
    Words w;
    if (i % 2 == 0) {
      std::memcpy(w.data(), &data[4 * (rng() % n)], 32);
      w = flip(w, static_cast<int>(rng() % 41), rng);
    } else {
      w = random_words(rng);
    }
    std::memcpy(&q[4 * i], w.data(), 32);
  }
  return q;
}

using ResultSet = std::set<Words>;  // compared as sets of hash values: duplicates fold in the index
Words at(const std::uint64_t* p) {
  return {p[0], p[1], p[2], p[3]};
}

struct Sizes {
  std::size_t ours, brute, multihash, flat;
};

void run(std::size_t n, bool clustered, const Sizes& nq) {
  std::mt19937_64 rng(clustered ? 2 : 1);
  const auto data = make_data(n, clustered, rng);
  const auto queries = make_queries(data, nq.ours, rng);
  const char* kind = clustered ? "clustered" : "random";
  std::printf("\n== %zu hashes, %s, radius 31, one core (CPU seconds of this thread) ==\n", n, kind);
  std::printf("%-28s %12s %10s %12s %9s\n", "", "queries/s", "build s", "bytes/hash", "recall");

  // Brute force first: it is the ground truth for the others.
  std::vector<ResultSet> truth(nq.brute);
  std::vector<std::uint32_t> hits;
  auto t = Clock::now();
  for (std::size_t i = 0; i < nq.brute; ++i) {
    hits.clear();
    dijk::bench::brute_force_scan(data.data(), n, &queries[4 * i], 31, hits);
    for (auto id : hits) truth[i].insert(at(&data[4 * std::size_t{id}]));
  }
  const double brute_qps = static_cast<double>(nq.brute) / since(t);
  std::size_t true_matches = 0;
  for (const auto& s : truth) true_matches += s.size();
  // Over the queries both sides ran: the share of true matches found (extra results would be a bug too).
  const auto recall = [&](const std::vector<ResultSet>& got) {
    std::size_t found = 0, expected = 0;
    for (std::size_t i = 0; i < std::min(got.size(), truth.size()); ++i) {
      for (const auto& w : truth[i]) found += got[i].count(w);
      expected += truth[i].size();
      if (got[i].size() != truth[i].size()) return 0.0;
    }
    return expected == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(expected);
  };

  // Ours.
  double qps = 0, build_s = 0, bytes_per_hash = 0, our_recall = 0;
  {
    t = Clock::now();
    dijk::PdqIndexBuilder builder;
    builder.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      dijk::PdqHash h;
      std::memcpy(h.bytes.data(), &data[4 * i], 32);
      builder.add(h, 0, 100);
    }
    const auto bytes = builder.build();
    const auto index = dijk::PdqIndex::open(bytes);
    build_s = since(t);
    bytes_per_hash = static_cast<double>(bytes.size()) / static_cast<double>(n);
    std::vector<ResultSet> got(nq.brute);
    std::size_t matches = 0;
    t = Clock::now();
    for (std::size_t i = 0; i < nq.ours; ++i) {
      dijk::PdqHash q;
      std::memcpy(q.bytes.data(), &queries[4 * i], 32);
      index->search(q, {}, [&](const dijk::PdqMatch& m) {
        ++matches;
        if (i < nq.brute) got[i].insert(index->hash(m.id).words());
      });
    }
    qps = static_cast<double>(nq.ours) / since(t);
    our_recall = recall(got);
  }
  std::printf("%-28s %12.0f %10.2f %12.1f %8.1f%%\n", "dijk PdqIndex (MIH, 12x21b)", qps, build_s,
              bytes_per_hash, 100 * our_recall);

  // faiss IndexBinaryMultiHash.
  double mh_qps = 0;
  {
    malloc_trim(0);  // so the resident-size difference is this index, not reused free memory
    const auto rss0 = resident_bytes();
    t = Clock::now();
    faiss::IndexBinaryMultiHash mh(256, 16, 16);
    mh.nflip = 1;
    mh.add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(data.data()));
    const double mh_build = since(t);
    const double mh_bytes = static_cast<double>(resident_bytes() - rss0) / static_cast<double>(n);
    std::vector<ResultSet> got(nq.multihash);
    t = Clock::now();
    for (std::size_t i = 0; i < nq.multihash; ++i) {
      faiss::RangeSearchResult res(1);
      mh.range_search(1, reinterpret_cast<const std::uint8_t*>(&queries[4 * i]), 32, &res);
      for (std::size_t j = res.lims[0]; j < res.lims[1]; ++j)
        got[i].insert(at(&data[4 * static_cast<std::size_t>(res.labels[j])]));
    }
    mh_qps = static_cast<double>(nq.multihash) / since(t);
    std::printf("%-28s %12.1f %10.2f %12.1f %8.1f%%   (%zu queries)\n", "faiss IndexBinaryMultiHash", mh_qps,
                mh_build, mh_bytes, 100 * recall(got), nq.multihash);
  }
  // faiss IndexBinaryFlat.
  double flat_qps = 0;
  {
    t = Clock::now();
    faiss::IndexBinaryFlat flat(256);
    flat.add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(data.data()));
    const double flat_build = since(t);
    std::vector<ResultSet> got(nq.flat);
    t = Clock::now();
    for (std::size_t i = 0; i < nq.flat; ++i) {
      faiss::RangeSearchResult res(1);
      flat.range_search(1, reinterpret_cast<const std::uint8_t*>(&queries[4 * i]), 32, &res);
      for (std::size_t j = res.lims[0]; j < res.lims[1]; ++j)
        got[i].insert(at(&data[4 * static_cast<std::size_t>(res.labels[j])]));
    }
    flat_qps = static_cast<double>(nq.flat) / since(t);
    std::printf("%-28s %12.1f %10.2f %12.1f %8.1f%%   (%zu queries)\n", "faiss IndexBinaryFlat", flat_qps,
                flat_build, 32.0, 100 * recall(got), nq.flat);
  }
  std::printf("%-28s %12.1f %10.2f %12.1f %8.1f%%   (%zu queries, ground truth)\n",
              "brute force (-march=native)", brute_qps, 0.0, 32.0, 100.0, nq.brute);
  std::printf(
      "ratios: dijk / faiss MultiHash %.0fx, dijk / brute force %.0fx, dijk / faiss Flat %.0fx; "
      "%zu true matches in the checked queries\n",
      qps / mh_qps, qps / brute_qps, qps / flat_qps, true_matches);
}

}  // namespace

int main(int argc, char** argv) {
  omp_set_num_threads(1);  // one core for every contender
  bool big = false;
  for (int i = 1; i < argc; ++i) big |= std::strcmp(argv[i], "--big") == 0;
  for (bool clustered : {false, true}) run(1'000'000, clustered, {5000, 200, 400, 40});
  if (big) {
    for (bool clustered : {false, true}) run(10'000'000, clustered, {3000, 30, 40, 6});
  } else {
    std::printf("\n(10M runs: bench_pdq_index --big)\n");
  }
  return 0;
}
