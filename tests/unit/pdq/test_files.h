#pragma once
// Reading test images and the reference's expected.csv.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace dijk::pdqtest {

inline std::filesystem::path data_dir() {
  return std::filesystem::path(DIJK_SOURCE_DIR) / "tests/data/pdq";
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Expected {
  std::string file;
  std::string pdq;
  int quality = 0;
};

inline std::vector<Expected> read_expected() {
  std::ifstream in(data_dir() / "expected.csv");
  std::string line;
  std::getline(in, line);  // header: file,bytes,md5,sha1,sha256,pdq,quality,pdq_ref512,quality_ref512
  std::vector<Expected> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
    if (cols.size() < 7) continue;
    rows.push_back({cols[0], cols[5], std::stoi(cols[6])});
  }
  return rows;
}

}  // namespace dijk::pdqtest
