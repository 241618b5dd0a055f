#include "core/durable_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace dijk {

namespace {

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Writes all of `bytes` to `fd`, retrying short and interrupted writes; throws naming `what` on failure.
void write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& what) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + what);
    done += static_cast<std::size_t>(n);
  }
}

// After a rename between two names: both directories, once each.
void fsync_directories_of(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto dir_a = directory_of(a);
  const auto dir_b = directory_of(b);
  fsync_directory(dir_b);
  if (dir_a != dir_b) fsync_directory(dir_a);
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
  write_all(fd_, bytes, tmp_);
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

unsigned existing_mode_or(const std::filesystem::path& path, unsigned fallback) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : fallback;
}

void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("rename " + from.string() + " to " + to.string());
  fsync_directories_of(from, to);
}

void link_durably(const std::filesystem::path& existing, const std::filesystem::path& name) {
  // link(2) does not replace: link to a temporary name first, so that `name` is never missing.
  const std::string tmp = name.string() + ".tmp";
  ::unlink(tmp.c_str());  // litter of a crash between link and rename
  if (::link(existing.c_str(), tmp.c_str()) != 0) throw_errno("link " + existing.string() + " as " + tmp);
  if (::rename(tmp.c_str(), name.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), "rename " + tmp + " to " + name.string());
  }
  fsync_directory(directory_of(name));
}

void remove_durably(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) == 0) {
    fsync_directory(directory_of(path));
  } else if (errno != ENOENT) {
    throw_errno("remove " + path.string());
  }
}

void exchange_durably(const std::filesystem::path& a, const std::filesystem::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
    throw_errno("exchange " + a.string() + " and " + b.string());
  fsync_directories_of(a, b);
}

void append_line_durably(const std::filesystem::path& path, std::string_view line, unsigned mode) {
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("open " + path.string());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const off_t end = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  std::string text;
  if (end > 0 && ::pread(fd, &last, 1, end - 1) == 1 && last != '\n') text.push_back('\n');
  text.append(line);
  if (text.empty() || text.back() != '\n') text.push_back('\n');
  write_all(fd, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, path.string());
  if (::fsync(fd) != 0) throw_errno("fsync " + path.string());
  if (end == 0) fsync_directory(directory_of(path));  // a new file: its name must survive a crash too
}

}  // namespace dijk
