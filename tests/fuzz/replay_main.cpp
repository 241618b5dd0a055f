// Stand-in for libFuzzer's driver in ordinary builds: runs the target on every seed file given (files or
// folders) and on deterministic mutations of each (bit flips, truncations, byte runs, splices), so every
// ctest run throws hostile bytes at every parser even without clang.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
std::vector<std::uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void run(const std::vector<std::uint8_t>& bytes) {
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

void mutate_and_run(const std::vector<std::uint8_t>& seed, std::mt19937_64& rng, int rounds) {
  run(seed);
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::uint8_t> m = seed;
    const auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
    switch (rng() % 5) {
      case 0:  // a few bit flips
        for (int k = 0; k < 1 + static_cast<int>(rng() % 8) && !m.empty(); ++k) {
          m[pick(m.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        }
        break;
      case 1:  // truncation
        m.resize(pick(m.size() + 1));
        break;
      case 2:  // a run of one byte value (0x00, 0xff or random)
        if (!m.empty()) {
          const std::size_t at = pick(m.size());
          const std::size_t len = std::min(m.size() - at, 1 + pick(64));
          const auto v = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng() % 2 ? 0xff : rng());
          std::fill_n(m.begin() + static_cast<std::ptrdiff_t>(at), len, v);
        }
        break;
      case 3:  // duplicate a slice
        if (!m.empty()) {
          const std::size_t at = pick(m.size());
          const std::size_t len = std::min(m.size() - at, 1 + pick(256));
          std::vector<std::uint8_t> slice(m.begin() + static_cast<std::ptrdiff_t>(at),
                                          m.begin() + static_cast<std::ptrdiff_t>(at + len));
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(pick(m.size())), slice.begin(), slice.end());
        }
        break;
      default:  // random bytes appended
        for (std::size_t k = 0, n = 1 + pick(128); k < n; ++k) m.push_back(static_cast<std::uint8_t>(rng()));
        break;
    }
    run(m);
  }
}
}  // namespace

int main(int argc, char** argv) {
  std::mt19937_64 rng(0xd11c);
  std::size_t seeds = 0;
  run({});
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else {
      files.push_back(arg);
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      mutate_and_run(read_file(f), rng, 500);
      ++seeds;
    }
  }
  std::printf("replayed %zu seeds with 500 mutations each\n", seeds);
  return seeds == 0 && argc > 1 ? 1 : 0;
}
