#include "config/schema/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dijk {

std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return "cannot create a temporary file in " + dir.string() + ": " + std::strerror(errno);
  const auto fail = [&](const std::string& what) {
    const std::string message = what + ": " + std::strerror(errno);
    close(fd);
    unlink(tmp.c_str());
    return message;
  };
  struct stat st {};
  const mode_t mode = stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  if (fchmod(fd, mode) != 0) return fail("chmod " + tmp);
  for (std::size_t written = 0; written < bytes.size();) {
    const auto n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write " + tmp);
    written += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync " + tmp);
  if (close(fd) != 0) {
    unlink(tmp.c_str());
    return "close " + tmp + ": " + std::strerror(errno);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string message = "rename to " + path.string() + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return message;
  }
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return std::nullopt;
}

std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace dijk
