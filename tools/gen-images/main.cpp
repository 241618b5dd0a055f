// dijk-gen-images --out DIR --count N [--seed S] [--min-side A] [--max-side B] [--resaved-every K]
// Writes N benign synthetic images (JPEG, every fifth one PNG) named img-NNNNNN.{jpg,png}; every K-th
// one also gets a re-saved copy (same picture, other JPEG quality: other bytes, other digests), named
// img-NNNNNN-resaved.jpg, the case exact hashing misses and PDQ catches. Same arguments, same files.
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "tools/gen-images/synthetic_image.h"

int main(int argc, char** argv) {
  std::string out;
  unsigned long count = 100, seed = 1, min_side = 96, max_side = 640, resaved_every = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--out")
      out = v;
    else if (k == "--count")
      count = std::stoul(v);
    else if (k == "--seed")
      seed = std::stoul(v);
    else if (k == "--min-side")
      min_side = std::stoul(v);
    else if (k == "--max-side")
      max_side = std::stoul(v);
    else if (k == "--resaved-every")
      resaved_every = std::stoul(v);
    else {
      std::fprintf(stderr, "dijk-gen-images: unknown option %s\n", k.c_str());
      return 64;
    }
  }
  if (out.empty() || min_side < 8 || max_side < min_side) {
    std::fprintf(stderr,
                 "usage: dijk-gen-images --out DIR --count N [--seed S] [--min-side A] [--max-side B] "
                 "[--resaved-every K]\n");
    return 64;
  }
  std::filesystem::create_directories(out);
  std::mt19937_64 rng(seed);
  for (unsigned long i = 0; i < count; ++i) {
    const auto w = static_cast<unsigned>(min_side + rng() % (max_side - min_side + 1));
    const auto h = static_cast<unsigned>(min_side + rng() % (max_side - min_side + 1));
    const auto image = dijk::gen::draw(rng(), w, h);
    char name[64];
    const bool png = i % 5 == 4;
    std::snprintf(name, sizeof name, "img-%06lu.%s", i, png ? "png" : "jpg");
    dijk::gen::write_file(out + "/" + name,
                          png ? dijk::gen::encode_png(image) : dijk::gen::encode_jpeg(image, 90));
    if (resaved_every != 0 && i % resaved_every == 0) {
      std::snprintf(name, sizeof name, "img-%06lu-resaved.jpg", i);
      dijk::gen::write_file(out + "/" + name, dijk::gen::encode_jpeg(image, 75));
    }
  }
  return 0;
}
