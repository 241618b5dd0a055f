#include <fcntl.h>
#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/filescan/file_reader.h"
#include "dataplane/match/lane_digests.h"

namespace dijk {
namespace {

// Many files in flight on one ring: each slot owns a registered buffer and one file; a completed read is
// hashed and the slot's next read prepared at once, so the kernel has reads queued while this thread
// hashes. Files are opened synchronously: open is cheap beside reading and hashing.
//
// With MD5 or SHA-1 in vector lanes, a completed chunk is only queued for them; the lanes run once per
// batch of completions (settle()), over the chunks of every file in the batch. Until then the chunk's
// buffer must not change. It does not: the next reads are prepared in the submission queue while the
// batch is handled, and reach the kernel at the next io_uring_submit_and_wait, after settle().
class UringReader final : public FileReader {
 public:
  UringReader(const ScanOptions& options, AlgorithmSet algorithms)
      : chunk_(options.chunk_bytes),
        lanes_(algorithms, options.digest_lanes.value_or(digest_lanes::lane_isa_from_environment())) {
    const AlgorithmSet rest = algorithms.without(lanes_.algorithms());
    slots_.reserve(options.files_in_flight);
    for (unsigned i = 0; i < options.files_in_flight; ++i) {
      slots_.emplace_back(rest, options.pdq ? options.pdq_max_image_bytes : 0);
    }
  }

  ~UringReader() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);
    std::free(arena_);
  }

  // Sets up the ring and the buffers; returns 0 or -errno. Buffers that cannot be registered (the
  // locked-memory limit) are used unregistered.
  int init() {
    const auto depth = static_cast<unsigned>(slots_.size());
    const int rc = io_uring_queue_init(depth * 2, &ring_, 0);
    if (rc < 0) return rc;
    ring_ready_ = true;
    if (posix_memalign(&arena_, 4096, std::size_t{chunk_} * slots_.size()) != 0) return -ENOMEM;
    std::vector<iovec> iov(slots_.size());
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].buffer = static_cast<std::uint8_t*>(arena_) + i * chunk_;
      iov[i] = {slots_[i].buffer, chunk_};
    }
    const int reg = io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(iov.size()));
    registered_ = reg == 0;
    if (!registered_) unregistered_why_ = std::strerror(-reg);
    return 0;
  }

  std::string describe() const override {
    std::string d = "io_uring";
    if (!registered_) d += ", unregistered buffers (" + unregistered_why_ + ")";
    if (lanes_.in_use()) d += ", " + lanes_.describe();
    return d;
  }

  void run(FileTaskQueue& queue, scan::FileMatcher& matcher) override {
    std::size_t active = 0;
    bool queue_done = false;
    for (;;) {
      // Fill idle slots: block for the first task only when nothing is in flight.
      for (std::size_t i = 0; i < slots_.size() && !queue_done; ++i) {
        if (slots_[i].fd >= 0 || slots_[i].settling) continue;
        auto task = active == 0 && settling_.empty() ? queue.pop() : queue.try_pop();
        if (!task) {
          queue_done = active == 0 || queue.closed_and_empty();
          break;
        }
        if (start(i, std::move(*task), matcher)) ++active;
      }
      settle(matcher);  // empty files, started and finished above
      if (active == 0) {
        if (queue_done) return;
        continue;
      }
      io_uring_submit_and_wait(&ring_, 1);
      io_uring_cqe* cqe = nullptr;
      unsigned head = 0;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        const auto slot = static_cast<std::size_t>(io_uring_cqe_get_data64(cqe));
        if (!on_read(slot, cqe->res, matcher)) --active;
      }
      io_uring_cq_advance(&ring_, seen);
      settle(matcher);
    }
  }

 private:
  struct Slot {
    Slot(AlgorithmSet algorithms, std::uint64_t keep_image_bytes) : state(algorithms, keep_image_bytes) {}
    scan::FileHashState state;
    std::uint8_t* buffer = nullptr;
    int fd = -1;
    std::uint64_t offset = 0;
    match::LaneDigests::Streams streams;
    bool settling = false;  // read to its end; its lane digests come at the next settle()
  };

  bool start(std::size_t i, FileTask task, scan::FileMatcher& matcher) {
    Slot& s = slots_[i];
    const int fd = ::open(task.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      matcher.problem(task.path, errno == ENOENT ? ScanProblem::vanished : ScanProblem::unreadable,
                      std::strerror(errno));
      return false;
    }
    s.fd = fd;
    s.offset = 0;
    s.state.start(std::move(task));
    if (lanes_.in_use()) s.streams = lanes_.open(lanes_.algorithms());
    if (s.state.task().size == 0) {
      finish(i, matcher);
      return false;
    }
    submit_read(i);
    return true;
  }

  void submit_read(std::size_t i) {
    Slot& s = slots_[i];
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // the ring is twice the slot count, so this means a bug, not load
      lanes_.drain();      // the chunks queued for the lanes, before their buffers are read into again
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    const std::uint64_t left = s.state.task().size - s.offset;
    const auto len = static_cast<unsigned>(std::min<std::uint64_t>(chunk_, left));
    if (registered_)
      io_uring_prep_read_fixed(sqe, s.fd, s.buffer, len, s.offset, static_cast<int>(i));
    else
      io_uring_prep_read(sqe, s.fd, s.buffer, len, s.offset);
    io_uring_sqe_set_data64(sqe, i);
  }

  // Returns true while the slot's file is still in flight.
  bool on_read(std::size_t i, int res, scan::FileMatcher& matcher) {
    Slot& s = slots_[i];
    const std::uint64_t size = s.state.task().size;
    if (res == -EAGAIN || res == -EINTR) {
      submit_read(i);
      return true;
    }
    if (res < 0) {
      fail(i, ScanProblem::unreadable, std::strerror(-res), matcher);
      return false;
    }
    if (res == 0) {
      fail(i, ScanProblem::changed,
           "shrank from " + std::to_string(size) + " to " + std::to_string(s.offset) + " bytes", matcher);
      return false;
    }
    const std::span<const std::uint8_t> chunk{s.buffer, static_cast<std::size_t>(res)};
    s.state.consume(chunk);
    if (lanes_.in_use()) lanes_.submit(s.streams, chunk);  // hashed at settle()
    s.offset += static_cast<std::uint64_t>(res);
    if (s.offset < size) {
      submit_read(i);
      return true;
    }
    finish(i, matcher);
    return false;
  }

  void finish(std::size_t i, scan::FileMatcher& matcher) {
    Slot& s = slots_[i];
    ::close(s.fd);
    s.fd = -1;
    if (!lanes_.in_use()) {
      matcher.complete(s.state);
      return;
    }
    s.settling = true;
    settling_.push_back(i);
  }

  // With lanes: hashes every chunk queued since the last call, before their buffers are read into again,
  // and completes the files read to their end.
  void settle(scan::FileMatcher& matcher) {
    if (!lanes_.in_use()) return;
    lanes_.drain();
    for (const std::size_t i : settling_) {
      Slot& s = slots_[i];
      lanes_.finish(s.streams, s.state.fingerprinter());
      s.settling = false;
      matcher.complete(s.state);
    }
    settling_.clear();
  }

  void fail(std::size_t i, ScanProblem p, const std::string& detail, scan::FileMatcher& matcher) {
    Slot& s = slots_[i];
    ::close(s.fd);
    s.fd = -1;
    if (lanes_.in_use()) lanes_.abandon(s.streams);
    matcher.problem(s.state.task().path, p, detail);
  }

  std::uint32_t chunk_;
  match::LaneDigests lanes_;
  std::vector<Slot> slots_;
  std::vector<std::size_t> settling_;  // slots read to their end, waiting for settle()
  io_uring ring_{};
  bool ring_ready_ = false;
  bool registered_ = false;
  std::string unregistered_why_;
  void* arena_ = nullptr;
};

}  // namespace

std::unique_ptr<FileReader> make_uring_reader(const ScanOptions& options, AlgorithmSet algorithms,
                                              std::string* why) {
  auto reader = std::make_unique<UringReader>(options, algorithms);
  const int rc = reader->init();
  if (rc < 0) {
    if (why != nullptr) *why = std::string("io_uring unavailable (") + std::strerror(-rc) + "), using pread";
    return nullptr;
  }
  return reader;
}

}  // namespace dijk
