#pragma once
// The one way dijk replaces a file durably: write a temporary file beside it, fsync it, rename it over the
// target, fsync the directory (without that last step a power cut may undo the rename). Readers see the
// old bytes or the new, never a mix. Errors throw std::system_error naming the file and the step.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace dijk {

class DurableFile {
 public:
  // Creates the temporary file (`path` + ".tmp.XXXXXX", unique) with permission bits `mode`.
  DurableFile(std::filesystem::path path, unsigned mode);
  // Removes the temporary file unless commit() succeeded: a failed write never leaves litter.
  ~DurableFile();
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;

  void write(std::span<const std::uint8_t> bytes);
  void write(std::string_view text);
  // fsync and close the temporary file, rename it over the target, fsync the directory.
  void commit();

 private:
  void fail(const std::string& step);
  std::filesystem::path path_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Makes a directory's entries (new, renamed or deleted files) durable. Throws on failure.
void fsync_directory(const std::filesystem::path& dir);

// The whole file in one call.
void write_file_durably(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                        unsigned mode);
void write_file_durably(const std::filesystem::path& path, std::string_view text, unsigned mode);

// Appends one line (a '\n' is added if `line` lacks one) to a log file, created with `mode` if missing,
// and returns once it is on disk (fsync; the directory too when the file is new). A line torn by an
// earlier crash is ended first, so the new one starts on its own line.
void append_line_durably(const std::filesystem::path& path, std::string_view line, unsigned mode);

// The permission bits of `path`, or `fallback` if it does not exist: a replacement keeps its file's mode.
unsigned existing_mode_or(const std::filesystem::path& path, unsigned fallback);

// For files written some other way (a set built by its own writer): rename `from` over `to`, then fsync the
// directory of `to` (and of `from` if it differs). Readers see the old file or the new one.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

// Makes `name` another hard link to `existing`, replacing whatever `name` was in one step (a link to a
// temporary name, renamed over), then fsyncs the directory. `existing` itself is untouched.
void link_durably(const std::filesystem::path& existing, const std::filesystem::path& name);

// Removes `path` if it is there, then fsyncs its directory; a missing file is not an error.
void remove_durably(const std::filesystem::path& path);

// Swaps two names in one step (renameat2 RENAME_EXCHANGE), then fsyncs their directory: each name always
// refers to one of the two files.
void exchange_durably(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace dijk
