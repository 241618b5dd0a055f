#include "hashcore/image/image_decoder.h"

// jpeglib.h needs size_t and FILE declared before it.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <gif_lib.h>
#include <spng.h>
#include <webp/decode.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>

namespace dijk::image {

std::string_view decode_status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::ok:
      return "ok";
    case DecodeStatus::unsupported:
      return "unsupported";
    case DecodeStatus::file_too_large:
      return "file_too_large";
    case DecodeStatus::too_many_pixels:
      return "too_many_pixels";
    case DecodeStatus::empty:
      return "empty";
    case DecodeStatus::truncated:
      return "truncated";
    case DecodeStatus::corrupt:
      return "corrupt";
  }
  return "unknown";
}

namespace {

// The reference hasher's luminance weights, applied in the same order and precision.
inline float luma_of(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  constexpr float kR = 0.299f, kG = 0.587f, kB = 0.114f;
  return kR * static_cast<float>(r) + kG * static_cast<float>(g) + kB * static_cast<float>(b);
}

void rgb_row_to_luma(const std::uint8_t* rgb, std::uint32_t width, float* out) {
  for (std::uint32_t x = 0; x < width; ++x) out[x] = luma_of(rgb[3 * x], rgb[3 * x + 1], rgb[3 * x + 2]);
}

void gray_row_to_luma(const std::uint8_t* gray, std::uint32_t width, std::uint32_t stride, float* out) {
  std::uint32_t x = 0;
#if defined(__SSE2__)
  if (stride == 1) {
    // The scaled JPEG path's grey rows, 16 pixels a step (-O2 leaves this loop scalar, and at 0.25 MP it
    // cost a twelfth of the fast path). Widening and int-to-float conversion are exact.
    const __m128i zero = _mm_setzero_si128();
    for (; x + 16 <= width; x += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(gray + x));
      const __m128i lo = _mm_unpacklo_epi8(v, zero), hi = _mm_unpackhi_epi8(v, zero);
      _mm_storeu_ps(out + x, _mm_cvtepi32_ps(_mm_unpacklo_epi16(lo, zero)));
      _mm_storeu_ps(out + x + 4, _mm_cvtepi32_ps(_mm_unpackhi_epi16(lo, zero)));
      _mm_storeu_ps(out + x + 8, _mm_cvtepi32_ps(_mm_unpacklo_epi16(hi, zero)));
      _mm_storeu_ps(out + x + 12, _mm_cvtepi32_ps(_mm_unpackhi_epi16(hi, zero)));
    }
  }
#endif
  for (; x < width; ++x) out[x] = static_cast<float>(gray[x * stride]);
}

// ---- JPEG ----------------------------------------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  DecodeStatus status;
};

struct JpegProgress {
  jpeg_progress_mgr mgr;
  std::uint32_t max_scans;
  DecodeStatus* status;
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  std::longjmp(err->jump, 1);
}

void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (err->status == DecodeStatus::ok) err->status = DecodeStatus::corrupt;
  jpeg_fail(cinfo);
}

// Warnings mean libjpeg went on with made-up data (grey fill after a premature end, skipped corrupt
// segments). A hash of made-up pixels is not one we can be sure of, so they are errors here. Stray bytes
// between markers are the one harmless, common case.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  const int code = err->mgr.msg_code;
  if (code == JWRN_EXTRANEOUS_DATA) return;
  err->status = code == JWRN_JPEG_EOF ? DecodeStatus::truncated : DecodeStatus::corrupt;
  jpeg_fail(cinfo);
}

void jpeg_on_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  auto* progress = reinterpret_cast<JpegProgress*>(cinfo->progress);
  if (dinfo->input_scan_number > static_cast<int>(progress->max_scans)) {
    *progress->status = DecodeStatus::too_many_pixels;  // a scan bomb costs time like a pixel bomb
    jpeg_fail(cinfo);
  }
}

}  // namespace

// The smallest M/8 (M = 1..8) that keeps the shorter side at least min_side.
unsigned jpeg_scale_numerator(std::uint32_t width, std::uint32_t height, std::uint32_t min_side) {
  if (min_side == 0) return 8;
  const std::uint64_t shorter = std::min(width, height);
  for (unsigned m = 1; m < 8; ++m) {
    if ((shorter * m + 7) / 8 >= min_side) return m;
  }
  return 8;
}

std::uint8_t exif_orientation(std::span<const std::uint8_t> app1) {
  constexpr std::uint8_t kExif[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (app1.size() < 6 + 8 || std::memcmp(app1.data(), kExif, 6) != 0) return 1;
  const std::span<const std::uint8_t> tiff = app1.subspan(6);
  const bool little = tiff[0] == 'I' && tiff[1] == 'I';
  if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
  const auto u16 = [&](std::size_t at) -> std::uint32_t {
    const std::uint32_t a = tiff[at], b = tiff[at + 1];
    return little ? a | (b << 8) : (a << 8) | b;
  };
  const auto u32 = [&](std::size_t at) -> std::uint64_t {
    return little ? (u16(at) | (std::uint64_t{u16(at + 2)} << 16))
                  : ((std::uint64_t{u16(at)} << 16) | u16(at + 2));
  };
  if (u16(2) != 42) return 1;
  const std::uint64_t ifd = u32(4);
  if (ifd + 2 > tiff.size()) return 1;
  const std::uint32_t entries = u16(ifd);
  for (std::uint32_t i = 0; i < entries; ++i) {
    const std::uint64_t at = ifd + 2 + 12 * std::uint64_t{i};
    if (at + 12 > tiff.size()) return 1;
    if (u16(at) == 0x0112) {
      const std::uint32_t value = u16(at + 8);  // type SHORT, count 1: the value sits in the entry
      return u16(at + 2) == 3 && value >= 1 && value <= 8 ? static_cast<std::uint8_t>(value) : 1;
    }
  }
  return 1;
}

ImageDecoder::ImageDecoder(DecodeLimits limits) : limits_(limits) {}
ImageDecoder::~ImageDecoder() = default;

DecodeStatus ImageDecoder::check_size(std::uint64_t width, std::uint64_t height) const {
  if (width == 0 || height == 0) return DecodeStatus::empty;
  if (width > limits_.max_side || height > limits_.max_side || width * height > limits_.max_pixels) {
    return DecodeStatus::too_many_pixels;
  }
  return DecodeStatus::ok;
}

float* ImageDecoder::luma_rows(std::uint32_t width, std::uint32_t height) {
  const std::size_t n = static_cast<std::size_t>(width) * height;
  if (luma_.size() < n) luma_.resize(n);
  return luma_.data();
}

DecodeResult ImageDecoder::decode(std::span<const std::uint8_t> file, const DecodeOptions& options) {
  DecodeResult result;
  if (file.empty()) {
    result.status = DecodeStatus::empty;
  } else if (file.size() > limits_.max_file_bytes) {
    result.status = DecodeStatus::file_too_large;
  } else {
    const FileType type = sniff_file_type(file.first(std::min(file.size(), kSniffBytes)));
    result.luma.type = type;
    switch (type) {
      case FileType::jpeg:
        result.status = decode_jpeg(file, options, result.luma);
        break;
      case FileType::png:
        result.status = decode_png(file, result.luma);
        break;
      case FileType::gif:
        result.status = decode_gif(file, result.luma);
        break;
      case FileType::webp:
        result.status = decode_webp(file, result.luma);
        break;
      default:
        result.status = DecodeStatus::unsupported;
        break;
    }
  }
  if (result.status != DecodeStatus::ok)
    result.luma = LumaView{.type = result.luma.type, .exif_orientation = 1};
  ++counters_.by_status[static_cast<std::size_t>(result.status)];
  return result;
}

DecodeStatus ImageDecoder::decode_jpeg(std::span<const std::uint8_t> file, const DecodeOptions& options,
                                       LumaView& out) {
  // Everything below setjmp is plain data: longjmp skips destructors.
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  JpegProgress progress;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_on_error;
  err.mgr.emit_message = jpeg_on_message;
  err.status = DecodeStatus::ok;
  progress.mgr.progress_monitor = jpeg_on_progress;
  progress.max_scans = limits_.max_jpeg_scans;
  progress.status = &err.status;

  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return err.status == DecodeStatus::ok ? DecodeStatus::corrupt : err.status;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress.mgr;
  cinfo.mem->max_memory_to_use =
      static_cast<long>(std::min<std::uint64_t>(limits_.max_pixels * 8, 1ull << 31));
  jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
  if (options.read_exif_orientation) jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) {
      out.exif_orientation = exif_orientation({m->data, m->data_length});
      if (out.exif_orientation != 1) break;
    }
  }

  const DecodeStatus size_status = check_size(cinfo.image_width, cinfo.image_height);
  if (size_status != DecodeStatus::ok) {
    jpeg_destroy_decompress(&cinfo);
    return size_status;
  }
  out.source_width = cinfo.image_width;
  out.source_height = cinfo.image_height;
  cinfo.scale_num = jpeg_scale_numerator(cinfo.image_width, cinfo.image_height, options.jpeg_min_side);
  cinfo.scale_denom = 8;
  const bool scaled = cinfo.scale_num != 8;

  // Y straight from the file when allowed: skips the chroma IDCT, upsampling and colour conversion.
  bool gray_out = false;
  switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo.out_color_space = JCS_GRAYSCALE;
      gray_out = true;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo.out_color_space = JCS_CMYK;
      break;
    case JCS_YCbCr:
      gray_out = scaled && !options.jpeg_luma_from_rgb;
      cinfo.out_color_space = gray_out ? JCS_GRAYSCALE : JCS_RGB;
      break;
    default:
      cinfo.out_color_space = JCS_RGB;
      break;
  }
  if (scaled) cinfo.do_block_smoothing = FALSE;

  jpeg_start_decompress(&cinfo);
  const std::uint32_t w = cinfo.output_width, h = cinfo.output_height;
  const auto comps = static_cast<std::uint32_t>(cinfo.output_components);
  if (row_.size() < static_cast<std::size_t>(w) * comps) row_.resize(static_cast<std::size_t>(w) * comps);
  float* luma = luma_rows(w, h);
  JSAMPROW row = row_.data();
  while (cinfo.output_scanline < h) {
    const std::uint32_t y = cinfo.output_scanline;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
      err.status = DecodeStatus::truncated;
      jpeg_fail(reinterpret_cast<j_common_ptr>(&cinfo));
    }
    float* dst = luma + static_cast<std::size_t>(y) * w;
    if (gray_out) {
      gray_row_to_luma(row, w, 1, dst);
    } else if (comps == 4) {
      // Adobe CMYK is stored inverted: each value is already 255 - ink, so R = C * K / 255.
      for (std::uint32_t x = 0; x < w; ++x) {
        const std::uint32_t k = row[4 * x + 3];
        dst[x] = luma_of(static_cast<std::uint8_t>(row[4 * x] * k / 255),
                         static_cast<std::uint8_t>(row[4 * x + 1] * k / 255),
                         static_cast<std::uint8_t>(row[4 * x + 2] * k / 255));
      }
    } else {
      rgb_row_to_luma(row, w, dst);
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  out.pixels = luma;
  out.width = w;
  out.height = h;
  return DecodeStatus::ok;
}

// ---- PNG -----------------------------------------------------------------------------------------------

namespace {
DecodeStatus spng_status(int rc) {
  if (rc == SPNG_IO_EOF || rc == SPNG_EOF) return DecodeStatus::truncated;
  return DecodeStatus::corrupt;
}

struct SpngContext {
  spng_ctx* ctx = spng_ctx_new(0);
  ~SpngContext() { spng_ctx_free(ctx); }
};
}  // namespace

DecodeStatus ImageDecoder::decode_png(std::span<const std::uint8_t> file, LumaView& out) {
  SpngContext png;
  if (png.ctx == nullptr) return DecodeStatus::corrupt;
  spng_set_image_limits(png.ctx, limits_.max_side, limits_.max_side);
  spng_set_chunk_limits(png.ctx, 8u << 20, 16u << 20);  // metadata we never read cannot grow memory
  spng_set_png_buffer(png.ctx, file.data(), file.size());
  spng_ihdr ihdr{};
  if (const int rc = spng_get_ihdr(png.ctx, &ihdr); rc != SPNG_OK) {
    return rc == SPNG_EWIDTH || rc == SPNG_EHEIGHT || rc == SPNG_EUSER_WIDTH || rc == SPNG_EUSER_HEIGHT
               ? DecodeStatus::too_many_pixels
               : spng_status(rc);
  }
  if (const DecodeStatus s = check_size(ihdr.width, ihdr.height); s != DecodeStatus::ok) return s;
  const bool gray =
      ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
  const std::uint32_t w = ihdr.width, h = ihdr.height;
  const std::size_t row_bytes = static_cast<std::size_t>(w) * 3;
  float* luma = luma_rows(w, h);
  const auto emit = [&](const std::uint8_t* rgb, std::uint32_t y) {
    float* dst = luma + static_cast<std::size_t>(y) * w;
    if (gray) {
      gray_row_to_luma(rgb, w, 3, dst);
    } else {
      rgb_row_to_luma(rgb, w, dst);
    }
  };

  if (ihdr.interlace_method == SPNG_INTERLACE_NONE) {
    if (row_.size() < row_bytes) row_.resize(row_bytes);
    if (const int rc = spng_decode_image(png.ctx, nullptr, 0, SPNG_FMT_RGB8, SPNG_DECODE_PROGRESSIVE);
        rc != SPNG_OK) {
      return spng_status(rc);
    }
    for (std::uint32_t y = 0; y < h; ++y) {
      const int rc = spng_decode_row(png.ctx, row_.data(), row_bytes);
      if (rc != SPNG_OK && !(rc == SPNG_EOI && y + 1 == h)) return spng_status(rc);
      emit(row_.data(), y);
    }
  } else {
    // Interlaced rows arrive pass by pass: decode the whole image (bounded by max_pixels), then convert.
    const std::size_t image_bytes = row_bytes * h;
    if (row_.size() < image_bytes) row_.resize(image_bytes);
    if (const int rc = spng_decode_image(png.ctx, row_.data(), image_bytes, SPNG_FMT_RGB8, 0);
        rc != SPNG_OK) {
      return spng_status(rc);
    }
    for (std::uint32_t y = 0; y < h; ++y) emit(row_.data() + row_bytes * y, y);
  }
  out.pixels = luma;
  out.width = out.source_width = w;
  out.height = out.source_height = h;
  return DecodeStatus::ok;
}

// ---- GIF (first frame) ---------------------------------------------------------------------------------

namespace {
struct GifReader {
  std::span<const std::uint8_t> data;
  std::size_t at = 0;
};

int gif_read(GifFileType* gif, GifByteType* out, int want) {
  auto* reader = static_cast<GifReader*>(gif->UserData);
  const std::size_t n = std::min(static_cast<std::size_t>(want), reader->data.size() - reader->at);
  std::memcpy(out, reader->data.data() + reader->at, n);
  reader->at += n;
  return static_cast<int>(n);
}

struct GifHandle {
  GifFileType* gif = nullptr;
  ~GifHandle() {
    int error = 0;
    if (gif != nullptr) DGifCloseFile(gif, &error);
  }
};

DecodeStatus gif_status(const GifFileType* gif) {
  return gif->Error == D_GIF_ERR_READ_FAILED ? DecodeStatus::truncated : DecodeStatus::corrupt;
}
}  // namespace

DecodeStatus ImageDecoder::decode_gif(std::span<const std::uint8_t> file, LumaView& out) {
  GifReader reader{file, 0};
  GifHandle handle;
  int error = 0;
  handle.gif = DGifOpen(&reader, gif_read, &error);
  if (handle.gif == nullptr) {
    return error == D_GIF_ERR_READ_FAILED ? DecodeStatus::truncated : DecodeStatus::corrupt;
  }
  GifFileType* gif = handle.gif;
  for (int records = 0; records < 100'000; ++records) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) return gif_status(gif);
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR) return gif_status(gif);
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) return gif_status(gif);
      }
      continue;
    }
    if (type == TERMINATE_RECORD_TYPE) return DecodeStatus::empty;
    if (type != IMAGE_DESC_RECORD_TYPE) return DecodeStatus::corrupt;
    if (DGifGetImageDesc(gif) == GIF_ERROR) return gif_status(gif);
    const GifImageDesc& desc = gif->Image;
    if (desc.Width <= 0 || desc.Height <= 0) return DecodeStatus::empty;
    const auto w = static_cast<std::uint32_t>(desc.Width), h = static_cast<std::uint32_t>(desc.Height);
    if (const DecodeStatus s = check_size(w, h); s != DecodeStatus::ok) return s;
    const ColorMapObject* map = desc.ColorMap != nullptr ? desc.ColorMap : gif->SColorMap;
    if (map == nullptr || map->Colors == nullptr || map->ColorCount <= 0) return DecodeStatus::corrupt;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    if (row_.size() < n) row_.resize(n);
    const auto line = [&](std::uint32_t y) { return row_.data() + static_cast<std::size_t>(y) * w; };
    if (desc.Interlace) {
      constexpr std::uint32_t kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (std::uint32_t y = kStart[pass]; y < h; y += kStep[pass]) {
          if (DGifGetLine(gif, line(y), desc.Width) == GIF_ERROR) return gif_status(gif);
        }
      }
    } else {
      for (std::uint32_t y = 0; y < h; ++y) {
        if (DGifGetLine(gif, line(y), desc.Width) == GIF_ERROR) return gif_status(gif);
      }
    }
    float* luma = luma_rows(w, h);
    const auto colors = static_cast<std::uint32_t>(map->ColorCount);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t index = row_[i] < colors ? row_[i] : 0;  // out-of-palette pixels: as decoders do
      const GifColorType c = map->Colors[index];
      luma[i] = luma_of(c.Red, c.Green, c.Blue);
    }
    out.pixels = luma;
    out.width = out.source_width = w;
    out.height = out.source_height = h;
    return DecodeStatus::ok;
  }
  return DecodeStatus::corrupt;
}

// ---- WebP ----------------------------------------------------------------------------------------------

DecodeStatus ImageDecoder::decode_webp(std::span<const std::uint8_t> file, LumaView& out) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return DecodeStatus::corrupt;
  const VP8StatusCode info = WebPGetFeatures(file.data(), file.size(), &config.input);
  if (info == VP8_STATUS_NOT_ENOUGH_DATA) return DecodeStatus::truncated;
  if (info != VP8_STATUS_OK) return DecodeStatus::corrupt;
  if (config.input.has_animation) return DecodeStatus::unsupported;
  if (config.input.width <= 0 || config.input.height <= 0) return DecodeStatus::empty;
  const auto w = static_cast<std::uint32_t>(config.input.width),
             h = static_cast<std::uint32_t>(config.input.height);
  if (const DecodeStatus s = check_size(w, h); s != DecodeStatus::ok) return s;
  const std::size_t bytes = static_cast<std::size_t>(w) * h * 3;
  if (row_.size() < bytes) row_.resize(bytes);
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = row_.data();
  config.output.u.RGBA.stride = static_cast<int>(w * 3);
  config.output.u.RGBA.size = bytes;
  const VP8StatusCode rc = WebPDecode(file.data(), file.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (rc == VP8_STATUS_NOT_ENOUGH_DATA) return DecodeStatus::truncated;
  if (rc != VP8_STATUS_OK) return DecodeStatus::corrupt;
  float* luma = luma_rows(w, h);
  for (std::uint32_t y = 0; y < h; ++y)
    rgb_row_to_luma(row_.data() + static_cast<std::size_t>(y) * w * 3, w,
                    luma + static_cast<std::size_t>(y) * w);
  out.pixels = luma;
  out.width = out.source_width = w;
  out.height = out.source_height = h;
  return DecodeStatus::ok;
}

}  // namespace dijk::image
