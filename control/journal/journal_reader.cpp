#include "control/journal/journal_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace dijk::journal {

JournalReader::JournalReader(std::filesystem::path dir, std::uint64_t position)
    : dir_(std::move(dir)), marker_(dir_, false), position_(position) {}

JournalReader::~JournalReader() {
  close_segment();
}

void JournalReader::close_segment() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool JournalReader::locate() {
  if (fd_ >= 0 && position_ >= seg_start_ && (!seg_end_ || position_ < *seg_end_)) return true;
  close_segment();
  segments_ = list_segments(dir_);
  // The segment that holds position_: the last one starting at or before it. If retention removed the
  // segment (its records were acknowledged), continue at the oldest one left.
  std::size_t idx = segments_.size();
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].start <= position_) idx = i;
  }
  if (idx == segments_.size()) {
    if (segments_.empty() || segments_.front().start < position_) return false;
    idx = 0;
    position_ = segments_.front().start;
  }
  const int fd = ::open(segments_[idx].path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  fd_ = fd;
  seg_start_ = segments_[idx].start;
  seg_end_.reset();
  if (idx + 1 < segments_.size()) seg_end_ = segments_[idx + 1].start;
  return true;
}

bool JournalReader::read_at(std::uint64_t offset, std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd_, out + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<JournalEntry> JournalReader::next() {
  bool relisted = false;
  while (true) {
    const std::uint64_t durable = marker_.load();
    if (position_ >= durable) return std::nullopt;
    if (!locate()) return std::nullopt;
    if (seg_end_ && position_ >= *seg_end_) continue;  // locate() moves on to the next segment
    // Where this segment's durable bytes end: the next segment's start, or the commit marker.
    const std::uint64_t limit = seg_end_ ? std::min(*seg_end_, durable) : durable;
    const std::uint64_t offset = position_ - seg_start_;
    bool ok = limit - position_ >= kFrameHeaderSize;
    buffer_.resize(kFrameHeaderSize);
    ok = ok && read_at(offset, buffer_.data(), kFrameHeaderSize);
    std::uint32_t len = 0;
    if (ok) {
      for (int b = 0; b < 4; ++b) len |= std::uint32_t{buffer_[static_cast<std::size_t>(b)]} << (8 * b);
      ok = len > 0 && len <= kMaxPayloadBytes && limit - position_ - kFrameHeaderSize >= len;
    }
    if (ok) {
      buffer_.resize(kFrameHeaderSize + len);
      ok = read_at(offset + kFrameHeaderSize, buffer_.data() + kFrameHeaderSize, len) &&
           check_frame(buffer_).status == FrameStatus::ok;
    }
    if (!ok && !seg_end_ && !relisted) {
      // The writer may have rolled to a new segment since this one was opened: the durable position is
      // then past this file's end. List the segments again before calling anything corrupt.
      relisted = true;
      close_segment();
      continue;
    }
    if (!ok) {
      // Durable bytes that do not form a record: the disk lost them. Skip to where trustworthy data
      // resumes (the next segment, or the end of what is durable) and count what was skipped.
      stats_.corrupt_bytes_skipped += limit - position_;
      position_ = limit;
      continue;
    }
    const std::uint64_t at = position_;
    position_ += kFrameHeaderSize + len;
    auto record = decode_payload(std::span<const std::uint8_t>(buffer_).subspan(kFrameHeaderSize));
    if (!record) {
      ++stats_.undecodable_records;
      continue;
    }
    ++stats_.records_read;
    return JournalEntry{at, position_, std::move(*record)};
  }
}

}  // namespace dijk::journal
