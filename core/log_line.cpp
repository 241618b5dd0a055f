#include "core/log_line.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace dijk {

void log_line(std::string_view program, std::string_view line) noexcept {
  try {
    std::string whole;
    whole.reserve(program.size() + line.size() + 3);
    whole.append(program).append(": ").append(line).push_back('\n');
    std::string_view left = whole;
    while (!left.empty()) {
      const ssize_t n = ::write(STDERR_FILENO, left.data(), left.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      left.remove_prefix(static_cast<std::size_t>(n));
    }
  } catch (...) {
    // Out of memory building the line: drop it rather than take the daemon down.
  }
}

}  // namespace dijk
