// Hostile compressed request bodies into BodyInflater, as gzip or deflate, fed whole and in pieces. Both
// must stay within the output bounds; when both decode cleanly they must give the same bytes.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "dataplane/http/body_inflater.h"

namespace {

struct Result {
  std::vector<std::uint8_t> out;
  dijk::BodyInflater::Status status = dijk::BodyInflater::Status::ok;
  std::uint64_t in = 0;
};

Result run(dijk::BodyEncoding encoding, std::span<const std::uint8_t> in, std::size_t piece,
           const dijk::InflateLimits& limits) {
  dijk::BodyInflater inflater(encoding, limits);
  Result r;
  for (std::size_t off = 0; off < in.size(); off += piece) {
    r.status = inflater.feed(
        in.subspan(off, std::min(piece, in.size() - off)),
        [&](std::span<const std::uint8_t> bytes) { r.out.insert(r.out.end(), bytes.begin(), bytes.end()); });
  }
  r.in = inflater.bytes_in();
  if (inflater.bytes_out() != r.out.size()) std::abort();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto encoding = (data[0] & 1) ? dijk::BodyEncoding::deflate : dijk::BodyEncoding::gzip;
  const std::size_t piece = 1 + data[1] % 97;
  const std::span<const std::uint8_t> in(data + 2, size - 2);
  dijk::InflateLimits limits;
  limits.max_output = 4u << 20;  // small caps, so the fuzzer reaches them
  limits.ratio_floor = 64u << 10;
  const Result whole = run(encoding, in, in.empty() ? 1 : in.size(), limits);
  const Result cut = run(encoding, in, piece, limits);
  for (const Result* r : {&whole, &cut}) {
    if (r->out.size() > limits.max_output) std::abort();
    // Past the floor, output stays within the ratio of the input read, give or take one 16 KiB buffer.
    if (r->out.size() > limits.ratio_floor + 16 * 1024 &&
        r->out.size() > limits.max_ratio * r->in + 16 * 1024)
      std::abort();
  }
  using S = dijk::BodyInflater::Status;
  if (whole.status == S::ok && cut.status == S::ok && whole.out != cut.out) std::abort();
  return 0;
}
