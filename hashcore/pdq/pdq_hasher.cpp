#include "hashcore/pdq/pdq_hasher.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dijk {

namespace {

constexpr int kMinHashableSide = 5;  // below this there is nothing to filter: quality 0, never matched

// The reference's filter window: ceil(old / (2 * new)) with new = 64.
std::uint32_t jarosz_window(std::uint32_t old_size) {
  return (old_size + 2 * 64 - 1) / (2 * 64);
}

// One box-filter pass along a row of `length` values, in the reference's four phases (window growing in,
// full, shrinking out) and with its exact order of float additions, so the result is bit-identical.
void box_row(const float* in, float* out, std::uint32_t length, std::uint32_t window) {
  const std::uint32_t half = (window + 2) / 2;
  const std::uint32_t p1 = half - 1, p2 = window - half + 1, p3 = length - window, p4 = half - 1;
  std::uint32_t li = 0, ri = 0, oi = 0;
  float sum = 0.0f;
  int count = 0;
  for (std::uint32_t i = 0; i < p1; ++i) {
    sum += in[ri++];
    ++count;
  }
  for (std::uint32_t i = 0; i < p2; ++i) {
    sum += in[ri++];
    ++count;
    out[oi++] = sum / static_cast<float>(count);
  }
  for (std::uint32_t i = 0; i < p3; ++i) {
    sum += in[ri++];
    sum -= in[li++];
    out[oi++] = sum / static_cast<float>(count);
  }
  for (std::uint32_t i = 0; i < p4; ++i) {
    sum -= in[li++];
    --count;
    out[oi++] = sum / static_cast<float>(count);
  }
}

// Eight rows <-> one strip of eight-float columns (x * 8 + r), four columns at a time with SSE 4x4
// transposes where available: these two copies are most of the horizontal pass's memory traffic.
#if defined(__SSE2__)
inline void transpose4(__m128& a, __m128& b, __m128& c, __m128& d) {
  const __m128 t0 = _mm_unpacklo_ps(a, b), t1 = _mm_unpacklo_ps(c, d);
  const __m128 t2 = _mm_unpackhi_ps(a, b), t3 = _mm_unpackhi_ps(c, d);
  a = _mm_movelh_ps(t0, t1);
  b = _mm_movehl_ps(t1, t0);
  c = _mm_movelh_ps(t2, t3);
  d = _mm_movehl_ps(t3, t2);
}
#endif

void strip_from_rows(const float* src, std::uint32_t width, float* strip) {
  std::uint32_t x = 0;
#if defined(__SSE2__)
  for (; x + 4 <= width; x += 4) {
    for (std::uint32_t half = 0; half < 2; ++half) {
      const float* s = src + std::size_t{4 * half} * width + x;
      __m128 a = _mm_loadu_ps(s), b = _mm_loadu_ps(s + width), c = _mm_loadu_ps(s + 2 * std::size_t{width}),
             d = _mm_loadu_ps(s + 3 * std::size_t{width});
      transpose4(a, b, c, d);  // a: column x, rows 4h..4h+3; b: column x+1 ...
      float* o = strip + std::size_t{x} * 8 + 4 * half;
      _mm_storeu_ps(o, a);
      _mm_storeu_ps(o + 8, b);
      _mm_storeu_ps(o + 16, c);
      _mm_storeu_ps(o + 24, d);
    }
  }
#endif
  for (; x < width; ++x) {
    for (std::uint32_t r = 0; r < 8; ++r) strip[x * 8 + r] = src[r * width + x];
  }
}

void rows_from_strip(const float* strip, std::uint32_t width, float* dst) {
  std::uint32_t x = 0;
#if defined(__SSE2__)
  for (; x + 4 <= width; x += 4) {
    for (std::uint32_t half = 0; half < 2; ++half) {
      const float* s = strip + std::size_t{x} * 8 + 4 * half;
      __m128 a = _mm_loadu_ps(s), b = _mm_loadu_ps(s + 8), c = _mm_loadu_ps(s + 16), d = _mm_loadu_ps(s + 24);
      transpose4(a, b, c, d);  // a: row 4h, columns x..x+3; b: row 4h+1 ...
      float* o = dst + std::size_t{4 * half} * width + x;
      _mm_storeu_ps(o, a);
      _mm_storeu_ps(o + width, b);
      _mm_storeu_ps(o + 2 * std::size_t{width}, c);
      _mm_storeu_ps(o + 3 * std::size_t{width}, d);
    }
  }
#endif
  for (; x < width; ++x) {
    for (std::uint32_t r = 0; r < 8; ++r) dst[r * width + x] = strip[x * 8 + r];
  }
}

// box_row over every row, eight rows at a time: the eight rows are transposed into a column-interleaved
// strip (x * 8 + r) so that the eight running sums, and above all the eight divisions, are one vector
// operation each. Every row still sees exactly box_row's float operations, so the bits are the same.
// `columns` (ascending) selects the outputs wanted (nullptr: all `width`); output rows hold `out_width`
// values. The second pass wants only the 64 sampled columns: the other divisions and the transposition
// back are skipped.
void box_rows(const float* in, float* out, std::uint32_t width, std::uint32_t height, std::uint32_t window,
              float* strip_in, float* strip_out, const std::uint32_t* columns, std::uint32_t out_width) {
  constexpr std::uint32_t kLanes = 8;
  const std::uint32_t half = (window + 2) / 2;
  const std::uint32_t p1 = half - 1, p2 = window - half + 1, p3 = width - window, p4 = half - 1;
  std::uint32_t y = 0;
  for (; y + kLanes <= height; y += kLanes) {
    const float* src = in + std::size_t{y} * width;
    float* dst = out + std::size_t{y} * out_width;
    strip_from_rows(src, width, strip_in);
    std::uint32_t next_column = 0;  // with `columns`: the next one wanted
    // GCC vector extension, four lanes (one SSE register) twice: the eight rows' sums and divisions.
    using Quad = float __attribute__((vector_size(4 * sizeof(float))));
    Quad lo = {}, hi = {};
    std::uint32_t li = 0, ri = 0, oi = 0;
    int count = 0;
    const auto add = [&](std::uint32_t at) {
      Quad a, b;
      std::memcpy(&a, strip_in + at * kLanes, sizeof a);
      std::memcpy(&b, strip_in + at * kLanes + 4, sizeof b);
      lo += a;
      hi += b;
    };
    const auto sub = [&](std::uint32_t at) {
      Quad a, b;
      std::memcpy(&a, strip_in + at * kLanes, sizeof a);
      std::memcpy(&b, strip_in + at * kLanes + 4, sizeof b);
      lo -= a;
      hi -= b;
    };
    const auto emit = [&](std::uint32_t at) {
      if (columns != nullptr && (next_column == out_width || columns[next_column] != at)) return;
      const float c = static_cast<float>(count);
      const Quad a = lo / c, b = hi / c;
      do {  // a narrow image samples some columns twice
        const std::uint32_t slot = columns == nullptr ? at : next_column++;
        std::memcpy(strip_out + slot * kLanes, &a, sizeof a);
        std::memcpy(strip_out + slot * kLanes + 4, &b, sizeof b);
      } while (columns != nullptr && next_column < out_width && columns[next_column] == at);
    };
    for (std::uint32_t i = 0; i < p1; ++i, ++count) add(ri++);
    for (std::uint32_t i = 0; i < p2; ++i) {
      add(ri++);
      ++count;
      emit(oi++);
    }
    for (std::uint32_t i = 0; i < p3; ++i) {
      add(ri++);
      sub(li++);
      emit(oi++);
    }
    for (std::uint32_t i = 0; i < p4; ++i) {
      sub(li++);
      --count;
      emit(oi++);
    }
    rows_from_strip(strip_out, out_width, dst);
  }
  for (; y < height; ++y) {
    float* dst = out + std::size_t{y} * out_width;
    if (columns == nullptr) {
      box_row(in + std::size_t{y} * width, dst, width, window);
      continue;
    }
    box_row(in + std::size_t{y} * width, strip_out, width, window);
    for (std::uint32_t k = 0; k < out_width; ++k) dst[k] = strip_out[columns[k]];
  }
}

// The same filter down every column at once: one running sum per column, walked row by row so memory is
// read in order and the inner loops vectorise. Per column the float operations are the reference's.
// `columns` selects which input columns to filter (nullptr: all `width` of them); output rows hold
// `out_width` values.
void box_columns(const float* in, float* out, std::uint32_t width, std::uint32_t height, std::uint32_t window,
                 const std::uint32_t* columns, std::uint32_t out_width, float* sums) {
  const std::uint32_t half = (window + 2) / 2;
  const std::uint32_t p1 = half - 1, p2 = window - half + 1, p3 = height - window, p4 = half - 1;
  std::fill_n(sums, out_width, 0.0f);
  const auto row = [&](std::uint32_t y) { return in + static_cast<std::size_t>(y) * width; };
  const auto add = [&](std::uint32_t y) {
    const float* r = row(y);
    if (columns == nullptr) {
      for (std::uint32_t x = 0; x < out_width; ++x) sums[x] += r[x];
    } else {
      for (std::uint32_t x = 0; x < out_width; ++x) sums[x] += r[columns[x]];
    }
  };
  const auto sub = [&](std::uint32_t y) {
    const float* r = row(y);
    if (columns == nullptr) {
      for (std::uint32_t x = 0; x < out_width; ++x) sums[x] -= r[x];
    } else {
      for (std::uint32_t x = 0; x < out_width; ++x) sums[x] -= r[columns[x]];
    }
  };
  const auto emit = [&](std::uint32_t y, int count) {
    float* o = out + static_cast<std::size_t>(y) * out_width;
    const auto c = static_cast<float>(count);
    for (std::uint32_t x = 0; x < out_width; ++x) o[x] = sums[x] / c;
  };
  std::uint32_t li = 0, ri = 0, oi = 0;
  int count = 0;
  for (std::uint32_t i = 0; i < p1; ++i, ++count) add(ri++);
  for (std::uint32_t i = 0; i < p2; ++i) {
    add(ri++);
    emit(oi++, ++count);
  }
  for (std::uint32_t i = 0; i < p3; ++i) {
    add(ri++);
    sub(li++);
    emit(oi++, count);
  }
  for (std::uint32_t i = 0; i < p4; ++i) {
    sub(li++);
    emit(oi++, --count);
  }
}

// out[x] = sum over k = 0..63 of weights[k] * rows[k * stride + x], for x = 0..15. Each sum takes its
// terms in the reference's order (k ascending, a multiply then an add), so the results are the
// reference's bit for bit; the 16 sums advance side by side in four vectors instead of each being one
// long dependency chain.
void weighted_rows16(const float* weights, const float* rows, std::size_t stride, float* out) {
#if defined(__SSE2__)
  __m128 s0 = _mm_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (std::size_t k = 0; k < 64; ++k) {
    const __m128 w = _mm_set1_ps(weights[k]);
    const float* row = rows + k * stride;
    s0 = _mm_add_ps(s0, _mm_mul_ps(w, _mm_loadu_ps(row)));
    s1 = _mm_add_ps(s1, _mm_mul_ps(w, _mm_loadu_ps(row + 4)));
    s2 = _mm_add_ps(s2, _mm_mul_ps(w, _mm_loadu_ps(row + 8)));
    s3 = _mm_add_ps(s3, _mm_mul_ps(w, _mm_loadu_ps(row + 12)));
  }
  _mm_storeu_ps(out, s0);
  _mm_storeu_ps(out + 4, s1);
  _mm_storeu_ps(out + 8, s2);
  _mm_storeu_ps(out + 12, s3);
#else
  std::fill_n(out, 16, 0.0f);
  for (std::size_t k = 0; k < 64; ++k)
    for (std::size_t x = 0; x < 16; ++x) out[x] += weights[k] * rows[k * stride + x];
#endif
}

struct DctMatrix {
  float m[16][64];
  float t[64][16];  // m transposed: the second product walks it along rows
  DctMatrix() {
    const double scale = std::sqrt(2.0 / 64.0);
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 64; ++j) {
        m[i][j] = static_cast<float>(scale * std::cos((std::numbers::pi / 2 / 64.0) * (i + 1) * (2 * j + 1)));
        t[j][i] = m[i][j];
      }
    }
  }
};
const DctMatrix kDct;  // immutable after static initialisation

// One bit per coefficient strictly above the median (the 128th smallest, as the reference's Torben
// median returns for 256 values).
PdqHash threshold(const float (&dct)[16][16]) {
  std::array<float, 256> values;
  for (int i = 0; i < 16; ++i) std::copy_n(dct[i], 16, values.begin() + 16 * i);
  std::nth_element(values.begin(), values.begin() + 127, values.end());
  const float median = values[127];
  PdqHash hash;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      if (dct[i][j] > median) hash.set_bit(i * 16 + j);
    }
  }
  return hash;
}

// The dihedral images' DCTs follow from the original's: mirroring negates the odd frequencies along that
// axis (index i is frequency i+1, so even i), a transpose swaps the indices.
void dihedral_dct(const float (&a)[16][16], PdqDihedral d, float (&b)[16][16]) {
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const float v = a[i][j];
      const bool ei = (i & 1) == 0, ej = (j & 1) == 0;
      switch (d) {
        case PdqDihedral::original:
          b[i][j] = v;
          break;
        case PdqDihedral::rotate90:
          b[j][i] = ej ? -v : v;
          break;
        case PdqDihedral::rotate180:
          b[i][j] = ei != ej ? -v : v;
          break;
        case PdqDihedral::rotate270:
          b[j][i] = ei ? -v : v;
          break;
        case PdqDihedral::flip_x:
          b[i][j] = ei ? -v : v;
          break;
        case PdqDihedral::flip_y:
          b[i][j] = ej ? -v : v;
          break;
        case PdqDihedral::flip_plus1:
          b[j][i] = v;
          break;
        case PdqDihedral::flip_minus1:
          b[j][i] = ei != ej ? -v : v;
          break;
      }
    }
  }
}

}  // namespace

PdqHasher::PdqHasher(PdqOptions options) : options_(options), decoder_(options.limits) {}

bool PdqHasher::transform(const float* luma, std::uint32_t width, std::uint32_t height, int& quality) {
  quality = 0;
  if (width < kMinHashableSide || height < kMinHashableSide) return false;
  // The last column pass writes 64 sampled columns per row, which is wider than images under 64 px.
  const std::size_t row_floats = std::max<std::size_t>(width, 64);
  const std::size_t n = row_floats * height;
  if (plane_a_.size() < n) plane_a_.resize(n);
  if (plane_b_.size() < n) plane_b_.resize(n);
  if (column_sums_.size() < row_floats) column_sums_.resize(row_floats);
  if (strip_in_.size() < 8 * row_floats) strip_in_.resize(8 * row_floats);
  if (strip_out_.size() < 8 * row_floats) strip_out_.resize(8 * row_floats);
  float* a = plane_a_.data();
  float* b = plane_b_.data();
  const std::uint32_t row_window = jarosz_window(width), column_window = jarosz_window(height);

  // Two passes of rows-then-columns. The second column pass only matters at the 64 sampled columns.
  std::array<std::uint32_t, 64> sample_columns, sample_rows;
  for (std::uint32_t k = 0; k < 64; ++k) {
    sample_rows[k] = static_cast<std::uint32_t>(((k + 0.5) * height) / 64);
    sample_columns[k] = static_cast<std::uint32_t>(((k + 0.5) * width) / 64);
  }
  box_rows(luma, b, width, height, row_window, strip_in_.data(), strip_out_.data(), nullptr, width);
  box_columns(b, a, width, height, column_window, nullptr, width, column_sums_.data());
  // From here on only the 64 sampled columns: rows of 64.
  box_rows(a, b, width, height, row_window, strip_in_.data(), strip_out_.data(), sample_columns.data(), 64);
  box_columns(b, a, 64, height, column_window, nullptr, 64, column_sums_.data());
  for (int i = 0; i < 64; ++i)
    std::copy_n(a + sample_rows[static_cast<std::size_t>(i)] * std::size_t{64}, 64, samples_[i]);

  // Quality: how much the samples vary, in percent steps of the full range.
  int gradient_sum = 0;
  for (int i = 0; i < 63; ++i) {
    for (int j = 0; j < 64; ++j)
      gradient_sum += std::abs(static_cast<int>(((samples_[i][j] - samples_[i + 1][j]) * 100) / 255));
  }
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 63; ++j)
      gradient_sum += std::abs(static_cast<int>(((samples_[i][j] - samples_[i][j + 1]) * 100) / 255));
  }
  quality = std::min(gradient_sum / 90, 100);

  // 16x64 = D * samples, then 16x16 = that * D^T, as weighted sums of 64 rows (weighted_rows16).
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 64; j += 16) weighted_rows16(kDct.m[i], &samples_[0][j], 64, &partial_[i][j]);
  }
  for (int i = 0; i < 16; ++i) weighted_rows16(partial_[i], &kDct.t[0][0], 16, dct_[i]);
  return true;
}

void PdqHasher::apply_orientation() {
  // EXIF orientation -> the dihedral transform that turns the stored image into the displayed one.
  // (This implementation's rotate90 is a quarter turn counterclockwise; flip_y mirrors left-right.)
  PdqDihedral d = PdqDihedral::original;
  switch (orientation_) {
    case 2:
      d = PdqDihedral::flip_y;
      break;
    case 3:
      d = PdqDihedral::rotate180;
      break;
    case 4:
      d = PdqDihedral::flip_x;
      break;
    case 5:
      d = PdqDihedral::flip_plus1;
      break;
    case 6:
      d = PdqDihedral::rotate270;
      break;
    case 7:
      d = PdqDihedral::flip_minus1;
      break;
    case 8:
      d = PdqDihedral::rotate90;
      break;
    default:
      return;
  }
  float oriented[16][16];
  dihedral_dct(dct_, d, oriented);
  std::memcpy(dct_, oriented, sizeof dct_);
}

PdqHash PdqHasher::oriented_hash() {
  apply_orientation();
  return threshold(dct_);
}

std::array<PdqHash, kPdqDihedralCount> PdqHasher::oriented_dihedral_hashes() {
  apply_orientation();
  std::array<PdqHash, kPdqDihedralCount> hashes;
  float variant[16][16];
  for (int d = 0; d < kPdqDihedralCount; ++d) {
    dihedral_dct(dct_, static_cast<PdqDihedral>(d), variant);
    hashes[static_cast<std::size_t>(d)] = threshold(variant);
  }
  return hashes;
}

PdqResult PdqHasher::hash_luma(const float* luma, std::uint32_t width, std::uint32_t height) {
  PdqResult result;
  if (transform(luma, width, height, result.quality)) result.hash = oriented_hash();
  return result;
}

PdqDihedralResult PdqHasher::hash_luma_dihedral(const float* luma, std::uint32_t width,
                                                std::uint32_t height) {
  PdqDihedralResult result;
  if (transform(luma, width, height, result.quality)) result.hashes = oriented_dihedral_hashes();
  return result;
}

PdqHasher::Plane PdqHasher::decode(std::span<const std::uint8_t> file, std::uint32_t jpeg_min_side) {
  image::DecodeOptions decode_options;
  decode_options.jpeg_min_side = jpeg_min_side;
  decode_options.read_exif_orientation = options_.apply_exif_orientation;
  const image::DecodeResult decoded = decoder_.decode(file, decode_options);
  last_status_ = decoded.status;
  orientation_ = decoded.luma.exif_orientation;
  if (!decoded.ok()) return {};
  return {
      decoded.luma.pixels, decoded.luma.width, decoded.luma.height,
      decoded.luma.width != decoded.luma.source_width || decoded.luma.height != decoded.luma.source_height};
}

std::optional<bool> PdqHasher::decode_and_transform(std::span<const std::uint8_t> file, int& quality) {
  Plane plane = decode(file, options_.fast ? options_.fast_min_side : 0);
  if (plane.pixels == nullptr) return std::nullopt;
  if (plane.scaled) {
    // The plane's check comes first: it is cheaper than the transform it may save.
    if (options_.fast_check.scaled_plane_is_usable(plane.pixels, plane.width, plane.height)) {
      const bool hashable = transform(plane.pixels, plane.width, plane.height, quality);
      if (!hashable || options_.fast_check.scaled_dct_is_usable(dct_)) return hashable;
    }
    ++full_resolution_redecodes_;
    plane = decode(file, 0);
    if (plane.pixels == nullptr) return std::nullopt;
  }
  return transform(plane.pixels, plane.width, plane.height, quality);
}

std::optional<PdqResult> PdqHasher::hash_file_bytes(std::span<const std::uint8_t> file) {
  PdqResult result;
  const std::optional<bool> hashable = decode_and_transform(file, result.quality);
  if (!hashable) return std::nullopt;
  if (*hashable) result.hash = oriented_hash();
  orientation_ = 1;  // hash_luma on a caller's plane has no orientation
  return result;
}

std::optional<PdqDihedralResult> PdqHasher::hash_file_bytes_dihedral(std::span<const std::uint8_t> file) {
  PdqDihedralResult result;
  const std::optional<bool> hashable = decode_and_transform(file, result.quality);
  if (!hashable) return std::nullopt;
  if (*hashable) result.hashes = oriented_dihedral_hashes();
  orientation_ = 1;
  return result;
}

}  // namespace dijk
