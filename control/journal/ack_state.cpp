#include "control/journal/ack_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "control/journal/segment_files.h"

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
  const std::filesystem::path tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "create " + tmp.string());
  const ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  bool ok = n == static_cast<ssize_t>(text.size());
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = errno;
  }
  ::close(fd);
  if (!ok)
    throw std::system_error(n >= 0 && err == 0 ? EIO : err, std::generic_category(), "write " + tmp.string());
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "rename " + tmp.string());
  }
  const auto parent = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  fsync_directory(parent);
}

}  // namespace dijk::journal
