#include "dataplane/pipeline/json_hit_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "dataplane/events/hit_printer.h"

namespace dijk {

JsonFileHitSink::JsonFileHitSink(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("cannot open hits file " + path + ": " + std::strerror(errno));
}

JsonFileHitSink::~JsonFileHitSink() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonFileHitSink::on_hit(const HitEvent& hit) {
  const std::string line = hit_json_line(hit) + "\n";
  std::lock_guard lock(mutex_);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "dijkd: writing %s failed: %s\n", path_.c_str(), std::strerror(errno));
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0)
    std::fprintf(stderr, "dijkd: fdatasync %s failed: %s\n", path_.c_str(), std::strerror(errno));
}

}  // namespace dijk
