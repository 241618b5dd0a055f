// PDQ hashing throughput on synthetic JPEGs and PNGs of 0.25, 1, 4 and 12 MP, one core, one process,
// beside references measured in the same run:
//   unchecked the fast path without its graphics check (FastPathCheck off: what it was before issue 19)
//   naive     the straightforward full-decode scalar PDQ (what the reference tool does)
//   decode    libjpeg-turbo / libspng decoding the same file alone, at the scale our fast path uses
//             (the floor: entropy decoding cannot be skipped)
// Then the same on the hard images (stripes, line art, screenshots), which the check sends to full
// resolution, and the fast path's distance to the full-resolution hash over many images of both kinds.
// jpeglib.h needs size_t and FILE declared before it.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <spng.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "bench/pdq/naive_pdq.h"
#include "bench/pdq/synthetic_images.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "tests/support/pdq_hard_images.h"

namespace {

// Best of several calls, in this thread's CPU time: the machine is shared, and the minimum CPU time is the
// figure least disturbed by the other processes (wall time under load mostly measures the queue).
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename F>
double seconds_per_call(F&& f, double min_seconds = 0.5, int min_reps = 3) {
  f();  // warm-up: buffers grown, pages touched, caches as in steady state
  int reps = 0;
  double best = 1e9, elapsed = 0;
  while (reps < min_reps || elapsed < min_seconds) {
    const double start = thread_seconds();
    f();
    const double t = thread_seconds() - start;
    best = std::min(best, t);
    elapsed += t;
    ++reps;
  }
  return best;
}

// Decoding alone, the way the fast path decodes: same scale, same output colour space, rows discarded.
struct DecodeAlone {
  std::vector<std::uint8_t> row;
  std::uint32_t min_side;
  void jpeg(const std::vector<std::uint8_t>& file) {
    jpeg_decompress_struct cinfo;
    jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.scale_num = dijk::image::jpeg_scale_numerator(cinfo.image_width, cinfo.image_height, min_side);
    cinfo.scale_denom = 8;
    cinfo.out_color_space = cinfo.scale_num == 8 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    row.resize(static_cast<std::size_t>(cinfo.output_width) *
               static_cast<std::size_t>(cinfo.output_components));
    JSAMPROW r = row.data();
    while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, &r, 1);
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
  }
  void png(const std::vector<std::uint8_t>& file) {
    spng_ctx* ctx = spng_ctx_new(0);
    spng_set_png_buffer(ctx, file.data(), file.size());
    spng_ihdr ihdr{};
    spng_get_ihdr(ctx, &ihdr);
    row.resize(static_cast<std::size_t>(ihdr.width) * 3);
    spng_decode_image(ctx, nullptr, 0, SPNG_FMT_RGB8, SPNG_DECODE_PROGRESSIVE);
    while (spng_decode_row(ctx, row.data(), row.size()) == 0) {
    }
    spng_ctx_free(ctx);
  }
};

struct Size {
  const char* name;
  std::uint32_t width, height;
};
constexpr Size kSizes[] = {
    {"0.25MP", 600, 416}, {"1MP", 1152, 864}, {"4MP", 2304, 1728}, {"12MP", 4000, 3000}};

std::vector<std::uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  int distribution_seeds = 4;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) distribution_seeds = std::atoi(argv[++i]);
  }
  dijk::PdqHasher fast;  // the defaults: DCT-domain scaling on, graphics sent back to full resolution
  dijk::PdqHasher unchecked(
      dijk::PdqOptions{.fast_check = {.max_flat_share = 0, .min_low_frequency_share = 0}});
  dijk::PdqHasher full(dijk::PdqOptions{.fast = false});
  DecodeAlone decode{{}, fast.options().fast_min_side};
  DecodeAlone full_decode{{}, 0};

  std::printf(
      "PDQ hashing, one core (images/s from the best CPU time of repeated calls; ratios against references "
      "measured in this run)\n");
  std::printf("%-5s %-7s %6s %9s %9s %9s %9s %9s | %8s %8s %8s %9s\n", "fmt", "size", "scale", "fast",
              "unchecked", "full", "naive", "decode", "fast/dec", "unch/dec", "fast/unc", "fast/naive");
  const auto row = [&](const char* fmt, const std::string& name, unsigned scale, double t_fast,
                       double t_unchecked, double t_full, double t_naive, double t_decode) {
    std::printf("%-5s %-7s %4u/8 %9.1f %9.1f %9.1f %9.1f %9.1f | %7.2fx %7.2fx %7.2fx %8.2fx\n", fmt,
                name.c_str(), scale, 1 / t_fast, 1 / t_unchecked, 1 / t_full, 1 / t_naive, 1 / t_decode,
                t_decode / t_fast, t_decode / t_unchecked, t_unchecked / t_fast, t_naive / t_fast);
  };
  for (const Size& s : kSizes) {
    const auto rgb = dijk::bench::synthetic_rgb(s.width, s.height, 1);
    for (const char* fmt : {"jpeg", "png"}) {
      const bool is_jpeg = std::strcmp(fmt, "jpeg") == 0;
      const auto file = is_jpeg ? dijk::bench::encode_jpeg(rgb, s.width, s.height)
                                : dijk::bench::encode_png(rgb, s.width, s.height);
      // The straightforward path must agree with ours bit for bit, or the comparison means nothing.
      const auto ours = full.hash_file_bytes(file);
      const auto theirs = dijk::bench::naive_pdq(file);
      if (!ours || !theirs || ours->hash != theirs->hash) {
        std::printf("MISMATCH between naive and full-resolution PDQ on %s %s\n", fmt, s.name);
        return 1;
      }
      // Interleaved, so that load on the shared machine falls on all of them alike.
      const double t_fast = seconds_per_call([&] { (void)fast.hash_file_bytes(file); });
      const double t_unchecked = seconds_per_call([&] { (void)unchecked.hash_file_bytes(file); });
      const double t_full = seconds_per_call([&] { (void)full.hash_file_bytes(file); });
      const double t_naive = seconds_per_call([&] { (void)dijk::bench::naive_pdq(file); });
      const double t_decode = seconds_per_call([&] { is_jpeg ? decode.jpeg(file) : decode.png(file); });
      const unsigned scale =
          is_jpeg ? dijk::image::jpeg_scale_numerator(s.width, s.height, fast.options().fast_min_side) : 8;
      row(fmt, s.name, scale, t_fast, t_unchecked, t_full, t_naive, t_decode);
    }
  }
  std::printf("  (photographs sent back to full resolution by the check while timing: %llu)\n",
              static_cast<unsigned long long>(fast.full_resolution_redecodes()));

  // The hard images: the check costs a scaled decode on top of the full one (decode: full-size decode alone).
  std::printf(
      "\nhard images (JPEG q85; the check sends them to full resolution; decode = full decode alone)\n");
  for (const auto family : dijk::pdqtest::kHardFamilies) {
    for (const auto& [w, h] : {std::pair<std::uint32_t, std::uint32_t>{1920, 1080}, {4000, 3000}}) {
      const auto file = dijk::pdqtest::HardImageCase{family, w, h, 1, 85}.jpeg();
      const double t_fast = seconds_per_call([&] { (void)fast.hash_file_bytes(file); });
      const double t_unchecked = seconds_per_call([&] { (void)unchecked.hash_file_bytes(file); });
      const double t_full = seconds_per_call([&] { (void)full.hash_file_bytes(file); });
      const double t_naive = seconds_per_call([&] { (void)dijk::bench::naive_pdq(file); });
      const double t_decode = seconds_per_call([&] { full_decode.jpeg(file); });
      row("jpeg",
          std::string(dijk::pdqtest::hard_family_name(family)).substr(0, 6) + (w == 1920 ? "2MP" : "12M"), 8,
          t_fast, t_unchecked, t_full, t_naive, t_decode);
    }
  }

  // Distance of the fast path to full resolution: synthetic JPEGs of every size and several seeds, plus
  // the reference test images when the source tree is at hand; then the hard images, with and without the
  // check.
  struct Tally {
    std::map<int, int> histogram;
    int worst = 0, images = 0;
    void add(int d) {
      ++histogram[d];
      worst = std::max(worst, d);
      ++images;
    }
    void print(const char* what) const {
      std::printf("\n%s: %d images of quality >= 50, max %d bits, median %d\n", what, images, worst,
                  median());
      for (const auto& [d, n] : histogram)
        std::printf("  distance %2d: %3d %s\n", d, n, std::string(static_cast<std::size_t>(n), '#').c_str());
    }
    int median() const {
      int seen = 0;
      for (const auto& [d, n] : histogram) {
        seen += n;
        if (2 * seen >= images) return d;
      }
      return 0;
    }
  };
  const auto distance = [&](dijk::PdqHasher& hasher, const std::vector<std::uint8_t>& file) {
    const auto a = hasher.hash_file_bytes(file);
    const auto b = full.hash_file_bytes(file);
    return !a || !b || b->quality < 50 ? -1 : dijk::pdq_distance(a->hash, b->hash);
  };
  Tally photos;
  const std::uint64_t photo_redecodes = fast.full_resolution_redecodes();
  const auto tally_photo = [&](const std::vector<std::uint8_t>& file) {
    if (const int d = distance(fast, file); d >= 0) photos.add(d);
  };
  for (const Size& s : kSizes) {
    for (int seed = 2; seed < 2 + distribution_seeds; ++seed) {
      tally_photo(dijk::bench::encode_jpeg(
          dijk::bench::synthetic_rgb(s.width, s.height, static_cast<std::uint64_t>(seed)), s.width,
          s.height));
    }
  }
#ifdef DIJK_SOURCE_DIR
  const auto test_images = std::filesystem::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
  if (std::filesystem::is_directory(test_images)) {
    for (const auto& e : std::filesystem::directory_iterator(test_images)) tally_photo(read_file(e.path()));
  }
#endif
  photos.print("photographs (synthetic 1/f and the reference set), fast path vs full resolution");
  std::printf("  sent back to full resolution by the check: %llu of the photographs hashed in this run\n",
              static_cast<unsigned long long>(fast.full_resolution_redecodes() - photo_redecodes));

  std::map<std::string_view, std::pair<Tally, Tally>> hard;  // family: (unchecked, checked)
  const std::uint64_t before = fast.full_resolution_redecodes();
  int hard_images = 0;
  for (const auto& c : dijk::pdqtest::hard_image_cases()) {
    const auto file = c.jpeg();
    auto& [without, with] = hard[dijk::pdqtest::hard_family_name(c.family)];
    if (const int d = distance(unchecked, file); d >= 0) without.add(d);
    if (const int d = distance(fast, file); d >= 0) with.add(d);
    ++hard_images;
  }
  for (const auto& [family, tallies] : hard) {
    const std::string name(family);
    tallies.first.print((name + ", scaled decode without the check (the old fast path) vs full").c_str());
    tallies.second.print((name + ", fast path (defaults) vs full").c_str());
  }
  std::printf("  sent back to full resolution: %llu of %d hard images\n",
              static_cast<unsigned long long>(fast.full_resolution_redecodes() - before), hard_images);
  return 0;
}
