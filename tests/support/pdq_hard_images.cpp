#include "tests/support/pdq_hard_images.h"

// jpeglib.h needs size_t and FILE declared before it.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <random>

namespace dijk::pdqtest {

std::string_view hard_family_name(HardFamily family) {
  switch (family) {
    case HardFamily::stripes:
      return "stripes";
    case HardFamily::line_art:
      return "line-art";
    case HardFamily::screenshot:
      return "screenshot";
  }
  return "unknown";
}

namespace {

struct Colour {
  std::uint8_t r, g, b;
};

// Drawing primitives on an RgbPicture, clipped to it. Only what the three families need.
class Canvas {
 public:
  Canvas(std::uint32_t width, std::uint32_t height, Colour background)
      : picture_{width, height, std::vector<std::uint8_t>(std::size_t{width} * height * 3)} {
    fill_rect(0, 0, static_cast<int>(width), static_cast<int>(height), background);
  }
  int width() const { return static_cast<int>(picture_.width); }
  int height() const { return static_cast<int>(picture_.height); }

  void put(int x, int y, Colour c) {
    if (x < 0 || y < 0 || x >= width() || y >= height()) return;
    std::uint8_t* p = &picture_.rgb[(std::size_t(y) * picture_.width + std::size_t(x)) * 3];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void fill_rect(int x0, int y0, int x1, int y1, Colour c) {
    for (int y = std::max(y0, 0); y < std::min(y1, height()); ++y) {
      for (int x = std::max(x0, 0); x < std::min(x1, width()); ++x) put(x, y, c);
    }
  }
  void frame_rect(int x0, int y0, int x1, int y1, Colour c) {
    fill_rect(x0, y0, x1, y0 + 1, c);
    fill_rect(x0, y1 - 1, x1, y1, c);
    fill_rect(x0, y0, x0 + 1, y1, c);
    fill_rect(x1 - 1, y0, x1, y1, c);
  }
  // Square-wave stripes across a rectangle: colour a where (x * dx + y * dy) mod period < period / 2.
  void stripes(int x0, int y0, int x1, int y1, int dx, int dy, int period, Colour a, Colour b) {
    for (int y = std::max(y0, 0); y < std::min(y1, height()); ++y) {
      for (int x = std::max(x0, 0); x < std::min(x1, width()); ++x) {
        const int phase = ((x * dx + y * dy) % period + period) % period;
        put(x, y, 2 * phase < period ? a : b);
      }
    }
  }
  // A pen of `thickness` pixels stamped every half pixel along the segment.
  void line(double xa, double ya, double xb, double yb, int thickness, Colour c) {
    const double length = std::hypot(xb - xa, yb - ya);
    const int steps = static_cast<int>(length * 2) + 1;
    for (int i = 0; i <= steps; ++i) {
      const double t = static_cast<double>(i) / steps;
      stamp(xa + t * (xb - xa), ya + t * (yb - ya), thickness, c);
    }
  }
  void circle(double cx, double cy, double radius, int thickness, Colour c) {
    const int steps = static_cast<int>(radius * 2 * std::numbers::pi * 2) + 8;
    for (int i = 0; i < steps; ++i) {
      const double a = 2 * std::numbers::pi * i / steps;
      stamp(cx + radius * std::cos(a), cy + radius * std::sin(a), thickness, c);
    }
  }
  RgbPicture take() { return std::move(picture_); }

 private:
  void stamp(double x, double y, int thickness, Colour c) {
    const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
    fill_rect(x0, y0, x0 + thickness, y0 + thickness, c);
  }
  RgbPicture picture_;
};

class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed * 0x9e3779b97f4a7c15ull + 0x51ed) {}
  int between(int lo, int hi) {
    return lo + static_cast<int>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double fraction() { return static_cast<double>(rng_() % 1'000'001) / 1e6; }
  Colour colour(int lo, int hi) {
    return {static_cast<std::uint8_t>(between(lo, hi)), static_cast<std::uint8_t>(between(lo, hi)),
            static_cast<std::uint8_t>(between(lo, hi))};
  }

 private:
  std::mt19937_64 rng_;
};

// Panels of fine square-wave stripes (2..8 px periods, four orientations) over a gradient, as in striped
// fabric, blinds, halftone-like textures and test charts. Each panel has its own mean brightness, so the
// picture has large-scale structure (PDQ quality >= 50 for most) besides the fine one.
RgbPicture draw_stripes(std::uint32_t width, std::uint32_t height, Draw& d) {
  Canvas canvas(width, height, {0, 0, 0});
  const int w = canvas.width(), h = canvas.height();
  const Colour top = d.colour(0, 255), bottom = d.colour(0, 255);
  for (int y = 0; y < h; ++y) {
    const auto mix = [&](std::uint8_t a, std::uint8_t b) {
      return static_cast<std::uint8_t>(a + (b - a) * y / std::max(h - 1, 1));
    };
    canvas.fill_rect(0, y, w, y + 1, {mix(top.r, bottom.r), mix(top.g, bottom.g), mix(top.b, bottom.b)});
  }
  const int panels = d.between(3, 7);
  for (int i = 0; i < panels; ++i) {
    const int pw = static_cast<int>(w * (0.15 + 0.45 * d.fraction()));
    const int ph = static_cast<int>(h * (0.15 + 0.45 * d.fraction()));
    const int x0 = d.between(0, w - pw), y0 = d.between(0, h - ph);
    static constexpr int kDirections[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
    const auto& dir = kDirections[d.between(0, 3)];
    const int level = d.between(40, 215), swing = d.between(25, 40);
    const Colour dark = d.colour(level - swing, level - swing),
                 light = d.colour(level + swing, level + swing);
    canvas.stripes(x0, y0, x0 + pw, y0 + ph, dir[0], dir[1], d.between(2, 8), dark, light);
  }
  return canvas.take();
}

// Thin dark lines and circles on white, sometimes over graph paper: drawings, diagrams, scanned forms.
RgbPicture draw_line_art(std::uint32_t width, std::uint32_t height, Draw& d) {
  Canvas canvas(width, height, {255, 255, 255});
  const int w = canvas.width(), h = canvas.height();
  if (d.between(0, 1) == 1) {
    const int spacing = d.between(8, 24);
    const Colour grid = d.colour(170, 230);
    for (int x = 0; x < w; x += spacing) canvas.fill_rect(x, 0, x + 1, h, grid);
    for (int y = 0; y < h; y += spacing) canvas.fill_rect(0, y, w, y + 1, grid);
  }
  const int lines = d.between(30, 90);
  for (int i = 0; i < lines; ++i) {
    canvas.line(d.fraction() * w, d.fraction() * h, d.fraction() * w, d.fraction() * h, d.between(1, 2),
                d.colour(0, 80));
  }
  const int circles = d.between(8, 24);
  for (int i = 0; i < circles; ++i) {
    canvas.circle(d.fraction() * w, d.fraction() * h, (0.02 + 0.2 * d.fraction()) * std::min(w, h),
                  d.between(1, 2), d.colour(0, 80));
  }
  return canvas.take();
}

// A desktop or phone screen: flat bars and panels, 1 px borders, buttons and rows of small glyphs (5x7
// bitmaps, one or two pixels a dot) that stand in for text.
RgbPicture draw_screenshot(std::uint32_t width, std::uint32_t height, Draw& d) {
  Canvas canvas(width, height, d.colour(235, 255));
  const int w = canvas.width(), h = canvas.height();
  const int dot = std::max(1, std::min(w, h) / 1000);
  std::uint64_t glyphs[32];  // 35 bits each
  for (auto& g : glyphs) {
    g = 0;
    for (int bit = 0; bit < 35; ++bit) g |= static_cast<std::uint64_t>(d.between(0, 2) == 0) << bit;
  }
  const auto text = [&](int x0, int y0, int x1, Colour ink) {
    int x = x0;
    while (x + 6 * dot <= x1) {
      if (d.between(0, 6) == 0) {  // a space between words
        x += 6 * dot;
        continue;
      }
      const std::uint64_t g = glyphs[d.between(0, 31)];
      for (int gy = 0; gy < 7; ++gy) {
        for (int gx = 0; gx < 5; ++gx) {
          if ((g >> (gy * 5 + gx)) & 1)
            canvas.fill_rect(x + gx * dot, y0 + gy * dot, x + (gx + 1) * dot, y0 + (gy + 1) * dot, ink);
        }
      }
      x += 6 * dot;
    }
  };
  const int bar = std::max(16, h / 22);
  canvas.fill_rect(0, 0, w, bar, d.colour(20, 90));
  text(bar, (bar - 7 * dot) / 2, w / 3, {240, 240, 240});
  const int sidebar = w > h ? w / 6 : 0;
  if (sidebar > 0) {
    canvas.fill_rect(0, bar, sidebar, h, d.colour(210, 240));
    canvas.fill_rect(sidebar, bar, sidebar + 1, h, {150, 150, 150});
    for (int y = bar + 12 * dot; y + 12 * dot < h; y += 14 * dot)
      text(8 * dot, y, sidebar - d.between(8, sidebar / 3) * dot, {40, 40, 40});
  }
  const int left = sidebar + 16 * dot, right = w - 16 * dot;
  int y = bar + 16 * dot;
  while (y + 40 * dot < h) {
    switch (d.between(0, 3)) {
      case 0: {  // a button row
        int x = left;
        for (int b = d.between(1, 4); b > 0 && x + 90 * dot < right; --b) {
          const int bw = d.between(60, 120) * dot;
          canvas.fill_rect(x, y, x + bw, y + 20 * dot, d.colour(40, 220));
          canvas.frame_rect(x, y, x + bw, y + 20 * dot, {90, 90, 90});
          text(x + 6 * dot, y + 6 * dot, x + bw - 6 * dot, {250, 250, 250});
          x += bw + 10 * dot;
        }
        y += 30 * dot;
        break;
      }
      case 1: {  // a framed table
        const int rows = d.between(3, 10);
        const int cell = 16 * dot;
        canvas.frame_rect(left, y, right, y + rows * cell + 1, {120, 120, 120});
        for (int r = 1; r < rows; ++r)
          canvas.fill_rect(left, y + r * cell, right, y + r * cell + 1, {200, 200, 200});
        for (int r = 0; r < rows; ++r)
          text(left + 4 * dot, y + r * cell + 4 * dot, right - 4 * dot, {30, 30, 30});
        y += rows * cell + 12 * dot;
        break;
      }
      default: {  // a paragraph
        for (int l = d.between(2, 8); l > 0; --l) {
          text(left, y, right - d.between(0, (right - left) / 3), {25, 25, 25});
          y += 12 * dot;
        }
        y += 10 * dot;
        break;
      }
    }
  }
  return canvas.take();
}

}  // namespace

RgbPicture draw_hard_picture(HardFamily family, std::uint32_t width, std::uint32_t height,
                             std::uint64_t seed) {
  Draw d(seed);
  switch (family) {
    case HardFamily::stripes:
      return draw_stripes(width, height, d);
    case HardFamily::line_art:
      return draw_line_art(width, height, d);
    case HardFamily::screenshot:
      return draw_screenshot(width, height, d);
  }
  return {};
}

std::vector<std::uint8_t> encode_baseline_jpeg(const RgbPicture& picture, int quality) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = picture.width;
  cinfo.image_height = picture.height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < picture.height) {
    JSAMPROW row = const_cast<JSAMPROW>(picture.rgb.data() +
                                        static_cast<std::size_t>(cinfo.next_scanline) * picture.width * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<std::uint8_t> bytes(out, out + size);
  std::free(out);
  return bytes;
}

std::string HardImageCase::name() const {
  return std::string(hard_family_name(family)) + "-" + std::to_string(width) + "x" + std::to_string(height) +
         "-s" + std::to_string(seed) + "-q" + std::to_string(jpeg_quality);
}

std::vector<std::uint8_t> HardImageCase::jpeg() const {
  return encode_baseline_jpeg(draw_hard_picture(family, width, height, seed), jpeg_quality);
}

std::vector<HardImageCase> hard_image_cases() {
  // Screen sizes (720p to 1440p, a phone held upright) and camera sizes (12 MP either way round): every
  // DCT scale the fast path picks, 3/8 down to 1/8. Qualities rotate through what encoders commonly use.
  struct Size {
    std::uint32_t width, height;
    int seeds;
  };
  constexpr Size kSizes[] = {{1280, 720, 3},  {1920, 1080, 3}, {2560, 1440, 2},
                             {1170, 2532, 2}, {4000, 3000, 1}, {3024, 4032, 1}};
  constexpr int kQualities[] = {75, 85, 92};
  std::vector<HardImageCase> cases;
  int n = 0;
  for (const HardFamily family : kHardFamilies) {
    for (const Size& s : kSizes) {
      for (int seed = 1; seed <= s.seeds; ++seed, ++n)
        cases.push_back({family, s.width, s.height, static_cast<std::uint64_t>(seed), kQualities[n % 3]});
    }
  }
  return cases;
}

}  // namespace dijk::pdqtest
