#include "config/schema/atomic_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "core/durable_file.h"

namespace dijk {

std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  struct stat st {};
  const unsigned mode = stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;  // keep the old mode
  try {
    write_file_durably(path, bytes, mode);
  } catch (const std::system_error& e) {
    return std::string(e.what());
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
