#pragma once
// Reads the journal from a position, in order, only up to what the writer has made durable (the commit
// marker), so it can tail a journal that another process is writing. Positions are logical byte offsets:
// a record's position is where its frame starts; next_position is where the following one starts.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "control/journal/commit_marker.h"
#include "control/journal/record.h"
#include "control/journal/segment_files.h"

namespace dijk::journal {

struct JournalEntry {
  std::uint64_t position = 0;
  std::uint64_t next_position = 0;
  JournalRecord record;
};

struct ReaderStats {
  std::uint64_t records_read = 0;
  std::uint64_t corrupt_bytes_skipped = 0;  // damage inside durable data (media errors): skipped, counted
  std::uint64_t undecodable_records = 0;    // checksum right but payload unknown (e.g. a newer version)
};

class JournalReader {
 public:
  explicit JournalReader(std::filesystem::path dir, std::uint64_t position = 0);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // The next durable record at or after position(); nullopt when there is none yet.
  std::optional<JournalEntry> next();
  std::uint64_t position() const { return position_; }
  std::uint64_t durable_position() { return marker_.load(); }
  const ReaderStats& stats() const { return stats_; }

 private:
  bool locate();  // opens the segment holding position_; false if none does (yet)
  void close_segment();
  bool read_at(std::uint64_t offset, std::uint8_t* out, std::size_t n);

  std::filesystem::path dir_;
  CommitMarker marker_;
  std::uint64_t position_ = 0;
  std::vector<SegmentInfo> segments_;
  int fd_ = -1;
  std::uint64_t seg_start_ = 0;
  std::optional<std::uint64_t> seg_end_;  // start of the next segment, when one exists
  std::vector<std::uint8_t> buffer_;
  ReaderStats stats_;
};

}  // namespace dijk::journal
