#include "core/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace dijk {

namespace {

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

}  // namespace

DurableFile::DurableFile(std::filesystem::path path, unsigned mode)
    : path_(std::move(path)), tmp_(path_.string() + ".tmp.XXXXXX") {
  fd_ = ::mkostemp(tmp_.data(), O_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "create " + tmp_);
  if (::fchmod(fd_, static_cast<mode_t>(mode)) != 0) fail("chmod");
}

DurableFile::~DurableFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void DurableFile::fail(const std::string& step) {
  const int err = errno;
  throw std::system_error(err, std::generic_category(), step + " " + tmp_);
}

void DurableFile::write(std::span<const std::uint8_t> bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += static_cast<std::size_t>(n);
  }
}

void DurableFile::write(std::string_view text) {
  write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

void DurableFile::commit() {
  if (::fsync(fd_) != 0) fail("fsync");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close");
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    throw std::system_error(err, std::generic_category(), "rename " + tmp_ + " to " + path_.string());
  }
  committed_ = true;
  // The new file is in place; without the directory's fsync a power cut may still undo the rename, so a
  // failure here is reported (as the journal always did) even though readers already see the new bytes.
  fsync_directory(directory_of(path_));
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open directory " + dir.string());
  const int synced = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (synced != 0) throw std::system_error(err, std::generic_category(), "fsync directory " + dir.string());
}

void write_file_durably(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                        unsigned mode) {
  DurableFile file(path, mode);
  file.write(bytes);
  file.commit();
}

void write_file_durably(const std::filesystem::path& path, std::string_view text, unsigned mode) {
  DurableFile file(path, mode);
  file.write(text);
  file.commit();
}

}  // namespace dijk
