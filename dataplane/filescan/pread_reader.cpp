#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "dataplane/filescan/file_reader.h"

namespace dijk {
namespace {

// The fallback: one file at a time per thread, synchronous reads into one reused buffer.
class PreadReader final : public FileReader {
 public:
  PreadReader(const ScanOptions& options, AlgorithmSet algorithms)
      : buffer_(options.chunk_bytes), state_(algorithms, options.pdq ? options.pdq_max_image_bytes : 0) {}

  void run(FileTaskQueue& queue, scan::FileMatcher& matcher) override {
    while (auto task = queue.pop()) read_one(std::move(*task), matcher);
  }
  std::string describe() const override { return "pread"; }

 private:
  void read_one(FileTask task, scan::FileMatcher& matcher) {
    // O_NONBLOCK: should a fifo replace the file after the walker's stat, open must not hang on it.
    const int fd = ::open(task.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    read_fd(fd, std::move(task), matcher);
  }

  void read_fd(int fd, FileTask task, scan::FileMatcher& matcher) {
    if (fd < 0) {
      matcher.problem(task.path, errno == ENOENT ? ScanProblem::vanished : ScanProblem::unreadable,
                      std::strerror(errno));
      return;
    }
    const std::uint64_t expected = task.size;
    state_.start(std::move(task));
    std::uint64_t offset = 0;
    while (offset < expected) {
      const ssize_t n = ::pread(fd, buffer_.data(), buffer_.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        matcher.problem(state_.task().path, ScanProblem::unreadable, std::strerror(err));
        return;
      }
      if (n == 0) {
        ::close(fd);
        matcher.problem(
            state_.task().path, ScanProblem::changed,
            "shrank from " + std::to_string(expected) + " to " + std::to_string(offset) + " bytes");
        return;
      }
      const auto got = static_cast<std::size_t>(n);
      state_.consume({buffer_.data(), std::min<std::uint64_t>(got, expected - offset)});
      offset += got;
    }
    ::close(fd);
    matcher.complete(state_);
  }

  std::vector<std::uint8_t> buffer_;
  scan::FileHashState state_;
};

}  // namespace

std::unique_ptr<FileReader> make_pread_reader(const ScanOptions& options, AlgorithmSet algorithms) {
  return std::make_unique<PreadReader>(options, algorithms);
}

}  // namespace dijk
