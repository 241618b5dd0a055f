#pragma once
// How the journal writer puts a batch on disk: one positioned write of the whole batch followed by
// fdatasync. Two implementations: io_uring (write linked to fsync(DATASYNC), one submission), and plain
// pwrite()+fdatasync() for kernels or sandboxes that refuse io_uring (EPERM/ENOSYS at ring setup).
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace dijk::journal {

class IoBackend {
 public:
  virtual ~IoBackend() = default;
  // Writes all of data at offset, then makes it durable. Returns 0 or a negative errno (ENOSPC, EIO...);
  // on failure nothing is known about what reached the file, so the caller retries the whole call.
  virtual int write_and_sync(int fd, std::span<const std::uint8_t> data, std::uint64_t offset) = 0;
  virtual const char* name() const = 0;
};

std::unique_ptr<IoBackend> make_plain_backend();
// Tries io_uring; when ring setup fails with EPERM or ENOSYS returns the plain backend and sets why.
std::unique_ptr<IoBackend> make_best_backend(std::string& why_fallback);

}  // namespace dijk::journal
