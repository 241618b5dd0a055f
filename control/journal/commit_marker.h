#pragma once
// The commit marker: an 8-byte file in the journal directory holding the logical position up to which the
// journal is durable. The writer stores it (after fdatasync of the data) through a shared mapping; readers
// in other processes map the same page and load it, so they never deliver a record that a power loss could
// still take back. It is never fsync'd itself: if it reaches the disk, the data it covers already did.
#include <atomic>
#include <cstdint>
#include <filesystem>

namespace dijk::journal {

class CommitMarker {
 public:
  // writable: create the file if missing (the writer); otherwise open read-only and report 0 while absent.
  CommitMarker(const std::filesystem::path& dir, bool writable);
  ~CommitMarker();
  CommitMarker(const CommitMarker&) = delete;
  CommitMarker& operator=(const CommitMarker&) = delete;

  std::uint64_t load();
  void store(std::uint64_t position);

 private:
  bool try_map();
  std::filesystem::path path_;
  bool writable_;
  std::uint64_t* word_ = nullptr;
};

}  // namespace dijk::journal
