#include "control/journal/ack_state.h"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/durable_file.h"

namespace dijk::journal {
namespace {
constexpr std::string_view kHeader = "dijk-reporter-ack 1\nposition ";
}

std::optional<std::uint64_t> read_ack_position(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.size() > 128 || text.compare(0, kHeader.size(), kHeader) != 0 || text.back() != '\n') {
    throw std::runtime_error("malformed reporter state " + file.string());
  }
  std::uint64_t pos = 0;
  const char* first = text.data() + kHeader.size();
  const char* last = text.data() + text.size() - 1;
  const auto [ptr, ec] = std::from_chars(first, last, pos);
  if (ec != std::errc{} || ptr != last || first == last) {
    throw std::runtime_error("malformed reporter state " + file.string());
  }
  return pos;
}

void write_ack_position(const std::filesystem::path& file, std::uint64_t position) {
  const std::string text = std::string(kHeader) + std::to_string(position) + "\n";
  write_file_durably(file, text, 0644);
}

}  // namespace dijk::journal
