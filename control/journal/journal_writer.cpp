#include "control/journal/journal_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "control/journal/ack_state.h"
#include "control/journal/record.h"
#include "control/journal/segment_files.h"
#include "core/durable_file.h"
#include "core/log_line.h"

namespace dijk::journal {
namespace {

std::size_t ring_capacity(std::size_t wanted) {
  // A ring must hold at least one record of the largest size.
  return std::max(wanted, std::size_t{kMaxPayloadBytes} + kFrameHeaderSize + 1);
}

std::string errno_text(int err) {
  return std::strerror(err);
}

}  // namespace

// ---- producers -------------------------------------------------------------------------------------

JournalWriter::Producer::Producer(JournalWriter& writer, std::size_t ring_bytes)
    : writer_(writer), ring_(ring_capacity(ring_bytes)) {}

std::uint64_t JournalWriter::Producer::append(const HitEvent& hit) {
  scratch_.clear();
  append_framed_record(hit, writer_.options_.appliance_id, scratch_);
  if (ring_.write_available() < scratch_.size()) {
    writer_.ring_full_waits_.fetch_add(1, std::memory_order_relaxed);
    while (ring_.write_available() < scratch_.size()) {
      if (writer_.stopped_.load()) throw std::runtime_error("journal writer is closed; hit not queued");
      writer_.poke();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  // Only this thread pushes, so the room checked above is still there; the ring publishes the whole
  // record with one index update, so the writer never sees half of it.
  ring_.push(scratch_.data(), scratch_.size());
  ++appended_;
  if (ring_.write_available() < ring_capacity(writer_.options_.ring_bytes) / 2) writer_.poke();
  return appended_;
}

bool JournalWriter::Producer::try_append(const HitEvent& hit) {
  scratch_.clear();
  append_framed_record(hit, writer_.options_.appliance_id, scratch_);
  if (writer_.stopped_.load(std::memory_order_acquire) || ring_.write_available() < scratch_.size()) {
    writer_.poke();
    return false;
  }
  ring_.push(scratch_.data(), scratch_.size());
  ++appended_;
  if (ring_.write_available() < ring_capacity(writer_.options_.ring_bytes) / 2) writer_.poke();
  return true;
}

bool JournalWriter::Producer::wait_durable(std::uint64_t ticket) {
  if (durable_.load(std::memory_order_acquire) >= ticket) return true;
  writer_.poke();
  std::unique_lock lock(writer_.durable_mutex_);
  writer_.durable_cv_.wait(
      lock, [&] { return durable_.load(std::memory_order_acquire) >= ticket || writer_.stopped_.load(); });
  return durable_.load(std::memory_order_acquire) >= ticket;
}

// ---- the writer ------------------------------------------------------------------------------------

JournalWriter::JournalWriter(JournalOptions options) : options_(std::move(options)) {
  if (!options_.log) {
    options_.log = [](std::string_view m) { log_line("journal", m); };
  }
  std::filesystem::create_directories(options_.dir);
  const auto lock_path = options_.dir / kLockName;
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + lock_path.string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd_);
    throw std::system_error(err, std::generic_category(), "journal " + options_.dir.string() + " is in use");
  }
  if (options_.force_plain_io) {
    io_ = make_plain_backend();
  } else {
    std::string why;
    io_ = make_best_backend(why);
    if (!why.empty()) log(why);
  }
  stats_.backend = io_->name();
  marker_ = std::make_unique<CommitMarker>(options_.dir, true);
  recover();
  shared_ = &register_producer();
  thread_ = std::thread([this] { run(); });
}

JournalWriter::~JournalWriter() {
  close();
}

void JournalWriter::log(const std::string& message) const {
  options_.log(message);
}

void JournalWriter::open_segment(std::uint64_t start, bool create) {
  const auto path = options_.dir / segment_file_name(start);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  if (create) fsync_directory(options_.dir);  // the new file's name must survive a crash
  if (segment_fd_ >= 0) ::close(segment_fd_);
  segment_fd_ = fd;
  segment_start_ = start;
}

void JournalWriter::recover() {
  const auto segments = list_segments(options_.dir);
  if (segments.empty()) {
    open_segment(0, true);
    segment_offset_ = 0;
  } else {
    const SegmentInfo& last = segments.back();
    open_segment(last.start, false);
    // Only the last segment can have a torn tail: the writer rolls to a new one only after a commit.
    std::vector<std::uint8_t> bytes(last.size);
    std::size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = ::pread(segment_fd_, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "read " + last.path.string());
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    bytes.resize(got);
    std::size_t valid = 0;
    std::uint64_t records = 0;
    while (true) {
      const FrameCheck c = check_frame(std::span<const std::uint8_t>(bytes).subspan(valid));
      if (c.status != FrameStatus::ok) break;
      valid += kFrameHeaderSize + c.payload_size;
      ++records;
    }
    const std::uint64_t cut = last.size - valid;
    if (cut > 0) {
      if (::ftruncate(segment_fd_, static_cast<off_t>(valid)) != 0 || ::fdatasync(segment_fd_) != 0) {
        throw std::system_error(errno, std::generic_category(), "cut torn tail of " + last.path.string());
      }
      log("cut a torn or corrupt tail of " + std::to_string(cut) + " bytes from " +
          last.path.filename().string() + " at offset " + std::to_string(valid) + " (" +
          std::to_string(records) + " valid records kept)");
    }
    // Records a crashed process wrote but never synced may sit in the page cache only: make them durable
    // before publishing them to readers, or a power loss could reuse their positions for other hits.
    if (::fdatasync(segment_fd_) != 0) {
      throw std::system_error(errno, std::generic_category(), "sync " + last.path.string());
    }
    stats_.recovered_cut_bytes = cut;
    segment_offset_ = valid;
  }
  durable_position_.store(segment_start_ + segment_offset_);
  marker_->store(segment_start_ + segment_offset_);
}

JournalWriter::Producer& JournalWriter::register_producer() {
  std::lock_guard lock(register_mutex_);
  const std::size_t n = producer_count_.load();
  if (n == kMaxProducers) throw std::runtime_error("too many journal producers");
  producers_[n].reset(new Producer(*this, options_.ring_bytes));
  producer_count_.store(n + 1, std::memory_order_release);
  return *producers_[n];
}

void JournalWriter::on_hit(const HitEvent& hit) {
  append_shared(hit);
}

std::uint64_t JournalWriter::append_shared(const HitEvent& hit) {
  std::lock_guard lock(shared_mutex_);
  return shared_->append(hit);
}

bool JournalWriter::wait_durable_shared(std::uint64_t ticket) {
  return shared_->wait_durable(ticket);
}

void JournalWriter::poke() {
  if (!poked_.exchange(true)) {
    std::lock_guard lock(wake_mutex_);
    wake_.notify_one();
  }
}

std::size_t JournalWriter::drain(std::vector<std::uint8_t>& batch,
                                 std::vector<std::pair<Producer*, std::uint64_t>>& counts,
                                 std::uint64_t& total_records) {
  const std::size_t n = producer_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n && batch.size() < options_.max_batch_bytes; ++i) {
    Producer& p = *producers_[i];
    const std::size_t avail = p.ring_.read_available();
    if (avail == 0) continue;
    const std::size_t at = batch.size();
    batch.resize(at + avail);
    const std::size_t got = p.ring_.pop(batch.data() + at, avail);
    batch.resize(at + got);
    // Producers push whole records, so the bytes taken are whole records; count them by their headers.
    std::uint64_t records = 0;
    for (std::size_t off = at; off + kFrameHeaderSize <= batch.size();) {
      std::uint32_t len = 0;
      for (int b = 0; b < 4; ++b) len |= std::uint32_t{batch[off + static_cast<std::size_t>(b)]} << (8 * b);
      off += kFrameHeaderSize + len;
      ++records;
    }
    p.drained_ += records;
    total_records += records;
    counts.emplace_back(&p, p.drained_);
  }
  return batch.size();
}

void JournalWriter::maybe_roll() {
  if (segment_offset_ < options_.segment_bytes) return;
  open_segment(segment_start_ + segment_offset_, true);
  segment_offset_ = 0;
}

bool JournalWriter::commit(const std::vector<std::uint8_t>& batch, bool stopping) {
  int attempts_while_stopping = 0;
  while (true) {
    try {
      maybe_roll();
      const int rc = io_->write_and_sync(segment_fd_, batch, segment_offset_);
      if (rc == 0) break;
      throw std::system_error(-rc, std::generic_category(), "journal write");
    } catch (const std::system_error& e) {
      const int err = e.code().value();
      std::lock_guard lock(stats_mutex_);
      if (err == ENOSPC || err == EDQUOT) {
        ++stats_.disk_full_events;
        if (!disk_full_.exchange(true)) {
          log("ALARM: journal disk full (" + errno_text(err) + "); keeping " + std::to_string(batch.size()) +
              " bytes of hits in memory and retrying; producers wait when their rings fill");
        }
      } else {
        ++stats_.io_errors;
        log(std::string("journal write failed: ") + e.what() + "; retrying");
      }
    }
    if (stopping || stop_.load()) {
      if (++attempts_while_stopping >= 3) return false;
    }
    apply_retention();
    std::this_thread::sleep_for(options_.retry_interval);
  }
  if (disk_full_.exchange(false)) log("journal disk space available again; alarm cleared");
  segment_offset_ += batch.size();
  const std::uint64_t pos = segment_start_ + segment_offset_;
  durable_position_.store(pos, std::memory_order_release);
  marker_->store(pos);
  std::lock_guard lock(stats_mutex_);
  ++stats_.commits;
  stats_.bytes_committed += batch.size();
  return true;
}

void JournalWriter::apply_retention() {
  last_retention_ = std::chrono::steady_clock::now();
  if (options_.ack_state.empty()) return;
  std::optional<std::uint64_t> acked;
  try {
    acked = read_ack_position(options_.ack_state);
  } catch (const std::exception& e) {
    log(std::string("retention skipped: ") + e.what());
    return;
  }
  if (!acked) return;
  auto segments = list_segments(options_.dir);
  std::uint64_t total = 0;
  for (const auto& s : segments) total += s.size;
  std::size_t deleted = 0;
  // Never the active (last) segment; a segment ends where the next begins.
  for (std::size_t i = 0; i + 1 < segments.size() && total > options_.retention_bytes; ++i) {
    if (segments[i + 1].start > *acked) break;
    if (::unlink(segments[i].path.c_str()) != 0) break;
    total -= segments[i].size;
    ++deleted;
  }
  if (deleted > 0) {
    try {
      fsync_directory(options_.dir);
    } catch (const std::exception& e) {
      log(e.what());
    }
    std::lock_guard lock(stats_mutex_);
    stats_.segments_deleted += deleted;
  }
}

void JournalWriter::run() {
  std::vector<std::uint8_t> batch;
  std::vector<std::pair<Producer*, std::uint64_t>> counts;
  batch.reserve(options_.max_batch_bytes);
  std::uint64_t lost = 0;
  while (true) {
    const bool stopping = stop_.load();
    batch.clear();
    counts.clear();
    std::uint64_t records = 0;
    if (drain(batch, counts, records) > 0) {
      if (!commit(batch, stopping)) {
        lost += records;
        continue;  // keep draining so the count of what could not be written is complete
      }
      // The global count first: a producer woken below must already see its hits in it.
      committed_records_.fetch_add(records, std::memory_order_acq_rel);
      {
        std::lock_guard lock(durable_mutex_);
        for (const auto& [p, cum] : counts) p->durable_.store(cum, std::memory_order_release);
      }
      durable_cv_.notify_all();
      report_commit(batch);
      continue;  // more may have arrived during the fdatasync: that is the next group
    }
    if (stopping) break;
    if (std::chrono::steady_clock::now() - last_retention_ > std::chrono::seconds(1)) apply_retention();
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, options_.max_commit_latency, [&] { return poked_.load() || stop_.load(); });
    poked_.store(false);
  }
  if (lost > 0) {
    {
      std::lock_guard lock(stats_mutex_);
      stats_.records_lost += lost;
    }
    log("ALARM: journal closed while the disk was full: " + std::to_string(lost) + " hits were not written");
  }
  {
    std::lock_guard lock(durable_mutex_);
    stopped_.store(true);
  }
  durable_cv_.notify_all();
}

void JournalWriter::report_commit(const std::vector<std::uint8_t>& batch) {
  if (!options_.on_commit) return;
  try {
    options_.on_commit(batch);
  } catch (const std::exception& e) {
    log(std::string("reporting committed hits failed: ") + e.what());
  }
}

JournalStats JournalWriter::stats() const {
  std::lock_guard lock(stats_mutex_);
  JournalStats s = stats_;
  s.records_committed = committed_records_.load();
  s.durable_position = durable_position_.load();
  s.ring_full_waits = ring_full_waits_.load();
  s.disk_full = disk_full_.load();
  return s;
}

void JournalWriter::close() {
  if (closed_) return;
  closed_ = true;
  stop_.store(true);
  poke();
  if (thread_.joinable()) thread_.join();
  if (segment_fd_ >= 0) ::close(segment_fd_);
  segment_fd_ = -1;
  marker_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  lock_fd_ = -1;
}

}  // namespace dijk::journal
