#pragma once
// Holds the current version of an immutable object (the hash set) for many reader threads and swaps it
// without ever making a reader wait or lock.
//
// Why not std::atomic<std::shared_ptr>: in libstdc++ 12 it is not lock-free (it takes a spin lock inside
// the control block on every load), and every load would also bump a shared reference count that all
// cores fight over. Here a reader announces itself in its own cache line instead:
//
//   reader: slot = global_epoch   (seq_cst store into its own slot)
//           p = current           (seq_cst load of a raw pointer)
//           ... use *p ...
//           slot = 0              (release: "quiescent")
//   writer: current = next; e = ++global_epoch;
//           wait until every slot is 0 or >= e; then drop the old shared_ptr (munmap if it was the last).
//
// A reader whose slot holds an epoch >= e loaded `current` after it was replaced (seq_cst orders the
// writer's store of `current` before its increment before its scan, and the reader's slot store before
// its load), so it holds the new object. Any other reader is waited for. Lookups in flight finish on the
// old object, new ones use the new object, and the old one is released before swap() returns: at most two
// versions are ever alive (peak memory <= old + new), because swaps are serialised.
#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace dijk {

template <typename T>
class EpochHolder {
 public:
  static constexpr std::size_t kMaxReaders = 256;

  explicit EpochHolder(std::shared_ptr<T> initial) : owner_(std::move(initial)), current_(owner_.get()) {}
  EpochHolder(const EpochHolder&) = delete;
  EpochHolder& operator=(const EpochHolder&) = delete;

  class Reader;

  // While a ReadGuard lives, the object it points to stays alive. Do not nest guards of one Reader.
  class ReadGuard {
   public:
    ReadGuard(ReadGuard&& o) noexcept : slot_(o.slot_), p_(o.p_) { o.slot_ = nullptr; }
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;
    ReadGuard& operator=(ReadGuard&&) = delete;
    ~ReadGuard() {
      if (slot_ != nullptr) slot_->store(0, std::memory_order_release);
    }
    T* get() const { return p_; }
    T* operator->() const { return p_; }
    T& operator*() const { return *p_; }
    explicit operator bool() const { return p_ != nullptr; }

   private:
    friend class Reader;
    ReadGuard(std::atomic<std::uint64_t>* slot, T* p) : slot_(slot), p_(p) {}
    std::atomic<std::uint64_t>* slot_;
    T* p_;
  };

  // One per reader thread (owned by it, like every other per-thread state). Releases its slot when gone.
  class Reader {
   public:
    Reader(Reader&& o) noexcept : holder_(o.holder_), slot_(o.slot_) { o.holder_ = nullptr; }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
      if (holder_ != nullptr) holder_->release_slot(slot_);
    }

    // The fast path: two stores and two loads, no lock, no shared counter, no wait.
    ReadGuard read() {
      auto& s = holder_->slots_[slot_].epoch;
      assert(s.load(std::memory_order_relaxed) == 0 && "nested ReadGuard on one Reader");
      s.store(holder_->epoch_.load(std::memory_order_acquire), std::memory_order_seq_cst);
      return ReadGuard(&s, holder_->current_.load(std::memory_order_seq_cst));
    }

   private:
    friend class EpochHolder;
    Reader(EpochHolder* h, std::size_t slot) : holder_(h), slot_(slot) {}
    EpochHolder* holder_;
    std::size_t slot_;
  };

  // Registration takes a lock; do it once per thread, not per lookup.
  Reader register_reader() {
    std::lock_guard lock(registry_);
    for (std::size_t i = 0; i < kMaxReaders; ++i) {
      if (!slots_[i].used.load(std::memory_order_relaxed)) {
        slots_[i].used.store(true, std::memory_order_seq_cst);
        if (i >= slot_count_.load(std::memory_order_relaxed))
          slot_count_.store(i + 1, std::memory_order_seq_cst);
        return Reader(this, i);
      }
    }
    throw std::runtime_error("EpochHolder: more than 256 reader threads");
  }

  // Installs `next`; returns once no reader can still see the previous object, after dropping this
  // holder's reference to it (the last reference unmaps it). Returns how many waits it took.
  std::uint64_t swap(std::shared_ptr<T> next) {
    std::lock_guard lock(writer_);
    std::shared_ptr<T> old = std::move(owner_);
    owner_ = std::move(next);
    current_.store(owner_.get(), std::memory_order_seq_cst);
    const std::uint64_t e = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
    std::uint64_t waits = 0;
    const std::size_t n = slot_count_.load(std::memory_order_seq_cst);
    for (std::size_t i = 0; i < n; ++i) {
      for (;;) {
        const std::uint64_t s = slots_[i].epoch.load(std::memory_order_seq_cst);
        if (s == 0 || s >= e) break;
        ++waits;
        std::this_thread::yield();
      }
    }
    old.reset();
    swaps_.fetch_add(1, std::memory_order_relaxed);
    return waits;
  }

  // A counted reference for slow paths (status, admin): it keeps its version alive as long as it is held.
  std::shared_ptr<T> current() const {
    std::lock_guard lock(writer_);
    return owner_;
  }
  std::uint64_t swaps() const { return swaps_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> epoch{0};  // 0: not reading; else the epoch seen when the read began
    std::atomic<bool> used{false};
  };

  void release_slot(std::size_t i) {
    std::lock_guard lock(registry_);
    slots_[i].epoch.store(0, std::memory_order_seq_cst);
    slots_[i].used.store(false, std::memory_order_seq_cst);
  }

  mutable std::mutex writer_;
  std::mutex registry_;
  std::shared_ptr<T> owner_;
  std::atomic<T*> current_;
  alignas(64) std::atomic<std::uint64_t> epoch_{1};
  std::atomic<std::size_t> slot_count_{0};
  std::atomic<std::uint64_t> swaps_{0};
  Slot slots_[kMaxReaders];
};

}  // namespace dijk
