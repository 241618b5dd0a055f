#include "apps/dijk-hotline/inbox/text_table.h"

#include <algorithm>
#include <ostream>

#include "hashcore/util/safe_text.h"

namespace dijk::hotline {
namespace {

// Display width of printable text: code points (the escaped form is ASCII but for printable UTF-8).
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

void print_text_table(std::vector<std::vector<std::string>> cells, std::ostream& out) {
  std::vector<std::size_t> widths;
  for (auto& line : cells) {
    if (widths.size() < line.size()) widths.resize(line.size(), 0);
    for (std::size_t i = 0; i < line.size(); ++i) {
      line[i] = printable_text(line[i].empty() ? "-" : line[i]);
      widths[i] = std::max(widths[i], width(line[i]));
    }
  }
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out << line[i];
      if (i + 1 < line.size()) out << std::string(widths[i] - width(line[i]) + 2, ' ');
    }
    out << "\n";
  }
}

}  // namespace dijk::hotline
