// Hostile set files: the loader must refuse anything it cannot trust and never read out of bounds. Each
// input is tried as is (checksums catch almost every change) and again with its checksums recomputed, so
// the fuzzer also reaches the structural checks behind them, as a forger who knows XXH3 would.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "hashcore/set/hash_set.h"
#include "tests/fuzz/set_file_forgery.h"

namespace {
void try_load(const std::vector<std::uint8_t>& bytes) {
  char path[] = "/tmp/dijk-fuzz-set-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return;
  const bool written = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  close(fd);
  for (auto v : {dijk::SetVerification::structure, dijk::SetVerification::full}) {
    if (!written) break;
    try {
      auto set = dijk::HashSet::open(path, v);
      std::uint8_t probe[32] = {};
      for (auto a : dijk::kAllAlgorithms) {
        for (int fill : {0x00, 0x80, 0xff}) {
          std::memset(probe, fill, sizeof probe);
          (void)set->exact(a).find({probe, dijk::digest_size(a)});
          (void)set->allow(a).find({probe, dijk::digest_size(a)});
        }
        // Enumeration rebuilds digests from slot contents: forged slots must be skipped, not trusted.
        std::size_t visited = 0;
        set->exact(a).for_each([&](std::span<const std::uint8_t> d, std::uint16_t) { visited += d.size(); });
      }
      dijk::DigestResults r = dijk::digest_buffer(dijk::AlgorithmSet::all(), {probe, 1});
      (void)set->match(r);
    } catch (const dijk::SetFileError&) {
    }
  }
  unlink(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  try_load(bytes);
  try_load(dijk::fuzz::with_fixed_checksums(std::move(bytes)));
  return 0;
}
