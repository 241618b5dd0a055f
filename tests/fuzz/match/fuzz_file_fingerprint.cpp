// Hostile file bytes into the one fingerprinter every ingress uses, cut where the input says, against a
// small image budget. Whatever the bytes: the size and digests equal those of the whole input, a kept
// image is the input itself, and every byte taken from the budget is given back.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "dataplane/match/file_fingerprint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t cut = 1 + data[0] % 64;                    // piece length
  const std::uint64_t cap = 64 + std::uint64_t{data[1]} * 16;  // per-file cap: some images fit, some do not
  const std::span<const std::uint8_t> file(data + 2, size - 2);
  const dijk::AlgorithmSet algorithms =
      dijk::AlgorithmSet{}.add(dijk::Algorithm::md5).add(dijk::Algorithm::sha256);

  dijk::match::ImageCopyBudget budget(cap, 2048);
  dijk::match::FileFingerprinter f(algorithms, &budget);
  f.start(algorithms);
  for (std::size_t off = 0; off < file.size(); off += cut)
    f.update(file.subspan(off, std::min(cut, file.size() - off)));
  const dijk::match::FileFingerprint fp = f.finish();
  const dijk::DigestResults whole = dijk::digest_buffer(algorithms, file);
  if (fp.size != file.size()) std::abort();
  for (dijk::Algorithm a : {dijk::Algorithm::md5, dijk::Algorithm::sha256})
    if (fp.digests.get(a).bytes != whole.get(a).bytes) std::abort();
  if (f.image_copy() == dijk::match::ImageCopy::kept) {
    if (!dijk::is_image(fp.type)) std::abort();
    const std::span<const std::uint8_t> kept = f.image();
    if (!std::equal(kept.begin(), kept.end(), file.begin(), file.end())) std::abort();
  }
  f.start(algorithms);
  if (budget.used() != 0) std::abort();
  return 0;
}
