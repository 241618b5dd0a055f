#include "control/journal/io_backend.h"

#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dijk::journal {
namespace {

class PlainBackend final : public IoBackend {
 public:
  int write_and_sync(int fd, std::span<const std::uint8_t> data, std::uint64_t offset) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n =
          ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      if (n == 0) return -EIO;
      done += static_cast<std::size_t>(n);
    }
    return ::fdatasync(fd) == 0 ? 0 : -errno;
  }
  const char* name() const override { return "write+fdatasync"; }
};

class UringBackend final : public IoBackend {
 public:
  explicit UringBackend(io_uring ring) : ring_(ring) {}
  ~UringBackend() override { io_uring_queue_exit(&ring_); }
  UringBackend(const UringBackend&) = delete;
  UringBackend& operator=(const UringBackend&) = delete;

  int write_and_sync(int fd, std::span<const std::uint8_t> data, std::uint64_t offset) override {
    std::size_t done = 0;
    while (true) {
      // The write and the fsync go in one submission; IOSQE_IO_LINK makes the fsync wait for the write and
      // cancels it when the write fails or comes up short, in which case the rest is resubmitted.
      const bool has_data = done < data.size();
      if (has_data) {
        io_uring_sqe* w = io_uring_get_sqe(&ring_);
        io_uring_prep_write(w, fd, data.data() + done, static_cast<unsigned>(data.size() - done),
                            offset + done);
        w->flags |= IOSQE_IO_LINK;
        w->user_data = 1;
      }
      io_uring_sqe* s = io_uring_get_sqe(&ring_);
      io_uring_prep_fsync(s, fd, IORING_FSYNC_DATASYNC);
      s->user_data = 2;
      const unsigned want = has_data ? 2 : 1;
      int rc = io_uring_submit_and_wait(&ring_, want);
      if (rc < 0) return rc;
      int write_res = 0, sync_res = 0;
      for (unsigned got = 0; got < want;) {
        io_uring_cqe* cqe = nullptr;
        rc = io_uring_wait_cqe(&ring_, &cqe);
        if (rc == -EINTR) continue;
        if (rc < 0) return rc;
        (cqe->user_data == 1 ? write_res : sync_res) = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        ++got;
      }
      if (has_data) {
        if (write_res < 0) return write_res;
        if (write_res == 0) return -EIO;
        done += static_cast<std::size_t>(write_res);
        if (done < data.size()) continue;  // short write: the fsync was cancelled; write the rest
      }
      return sync_res < 0 ? sync_res : 0;
    }
  }
  const char* name() const override { return "io_uring"; }

 private:
  io_uring ring_;
};

}  // namespace

std::unique_ptr<IoBackend> make_plain_backend() {
  return std::make_unique<PlainBackend>();
}

std::unique_ptr<IoBackend> make_best_backend(std::string& why_fallback) {
  io_uring ring{};
  const int rc = io_uring_queue_init(8, &ring, 0);
  if (rc == 0) return std::make_unique<UringBackend>(ring);
  if (rc == -EPERM || rc == -ENOSYS) {
    why_fallback =
        std::string("io_uring unavailable (") + std::strerror(-rc) + "), using write()+fdatasync()";
    return make_plain_backend();
  }
  throw std::runtime_error(std::string("io_uring setup failed: ") + std::strerror(-rc));
}

}  // namespace dijk::journal
