#include "control/journal/commit_marker.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "control/journal/segment_files.h"

namespace dijk::journal {

CommitMarker::CommitMarker(const std::filesystem::path& dir, bool writable)
    : path_(dir / kCommitMarkerName), writable_(writable) {
  if (!try_map() && writable_) {
    throw std::system_error(errno, std::generic_category(), "map commit marker " + path_.string());
  }
}

CommitMarker::~CommitMarker() {
  if (word_ != nullptr) ::munmap(word_, sizeof(std::uint64_t));
}

bool CommitMarker::try_map() {
  const int fd =
      ::open(path_.c_str(), writable_ ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC), 0644);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  if (ok && st.st_size < static_cast<off_t>(sizeof(std::uint64_t))) {
    ok = writable_ && ::ftruncate(fd, sizeof(std::uint64_t)) == 0;
  }
  void* p = MAP_FAILED;
  if (ok) {
    p = ::mmap(nullptr, sizeof(std::uint64_t), writable_ ? (PROT_READ | PROT_WRITE) : PROT_READ, MAP_SHARED,
               fd, 0);
  }
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    errno = err;
    return false;
  }
  word_ = static_cast<std::uint64_t*>(p);
  return true;
}

std::uint64_t CommitMarker::load() {
  if (word_ == nullptr && !try_map()) return 0;
  return std::atomic_ref<std::uint64_t>(*word_).load(std::memory_order_acquire);
}

void CommitMarker::store(std::uint64_t position) {
  std::atomic_ref<std::uint64_t>(*word_).store(position, std::memory_order_release);
}

}  // namespace dijk::journal
