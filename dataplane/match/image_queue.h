#pragma once
// The hand-off from the wire path to the PDQ stage: complete image files, copied, with what a hit needs.
// Producers never wait: try_push returns false when the queue is full and the caller counts a PDQ skip.
#include <boost/lockfree/queue.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/match/matcher.h"

namespace dijk::match {

struct ImageJob {
  FileContext where;
  std::string file_type;  // file_type_name() of the sniffed type
  std::vector<std::uint8_t> bytes;
};

class ImageQueue {
 public:
  virtual ~ImageQueue() = default;
  // Takes the job if there is room; on false the job is left with the caller (and dropped by it).
  virtual bool try_push(std::unique_ptr<ImageJob>& job) = 0;
};

// A bounded multi-producer multi-consumer queue (Boost.Lockfree, fixed capacity, no allocation on push).
class LockfreeImageQueue final : public ImageQueue {
 public:
  explicit LockfreeImageQueue(std::uint16_t capacity) : queue_(capacity) {}
  ~LockfreeImageQueue() override {
    ImageJob* j = nullptr;
    while (queue_.pop(j)) delete j;
  }
  LockfreeImageQueue(const LockfreeImageQueue&) = delete;
  LockfreeImageQueue& operator=(const LockfreeImageQueue&) = delete;

  bool try_push(std::unique_ptr<ImageJob>& job) override {
    if (!queue_.bounded_push(job.get())) return false;
    (void)job.release();
    return true;
  }
  std::unique_ptr<ImageJob> try_pop() {
    ImageJob* j = nullptr;
    return queue_.pop(j) ? std::unique_ptr<ImageJob>(j) : nullptr;
  }

 private:
  boost::lockfree::queue<ImageJob*, boost::lockfree::fixed_sized<true>> queue_;
};

}  // namespace dijk::match
