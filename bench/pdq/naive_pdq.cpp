#include "bench/pdq/naive_pdq.h"

// jpeglib.h needs size_t and FILE declared before it.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <spng.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "tests/support/straightforward_pdq.h"

namespace dijk::bench {

namespace {

bool decode_rgb(std::span<const std::uint8_t> file, std::vector<std::uint8_t>& rgb, int& w, int& h) {
  if (file.size() > 2 && file[0] == 0xff && file[1] == 0xd8) {
    jpeg_decompress_struct cinfo;
    jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    w = static_cast<int>(cinfo.output_width);
    h = static_cast<int>(cinfo.output_height);
    rgb.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row =
          rgb.data() + static_cast<std::size_t>(cinfo.output_scanline) * static_cast<std::size_t>(w) * 3;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  spng_ctx* ctx = spng_ctx_new(0);
  spng_set_png_buffer(ctx, file.data(), file.size());
  spng_ihdr ihdr{};
  std::size_t size = 0;
  if (spng_get_ihdr(ctx, &ihdr) != 0 || spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &size) != 0) {
    spng_ctx_free(ctx);
    return false;
  }
  rgb.resize(size);
  const bool ok = spng_decode_image(ctx, rgb.data(), size, SPNG_FMT_RGB8, 0) == 0;
  w = static_cast<int>(ihdr.width);
  h = static_cast<int>(ihdr.height);
  spng_ctx_free(ctx);
  return ok;
}

}  // namespace

std::optional<PdqResult> naive_pdq(std::span<const std::uint8_t> file) {
  std::vector<std::uint8_t> rgb;
  int w = 0, h = 0;
  if (!decode_rgb(file, rgb, w, h)) return std::nullopt;
  const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  std::vector<float> a(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = 0.299f * static_cast<float>(rgb[3 * i]) + 0.587f * static_cast<float>(rgb[3 * i + 1]) +
           0.114f * static_cast<float>(rgb[3 * i + 2]);
  }
  return test::straightforward_pdq(std::move(a), w, h);
}

}  // namespace dijk::bench
