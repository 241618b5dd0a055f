#pragma once
// dijkd's hit sinks beside the shared printers (dataplane/events/hit_printer.h): a durable JSON-lines
// file, and a tee that hands each hit to several sinks and counts them.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/hit_event.h"

namespace dijk {

// Hits appended as JSON lines (hit_json_line) to a file, each written and fdatasync'd before on_hit
// returns: the stand-in for the hit journal until dijkd writes to it. Thread-safe (a mutex; hits are rare).
class JsonFileHitSink : public HitSink {
 public:
  explicit JsonFileHitSink(const std::string& path);  // throws std::runtime_error
  ~JsonFileHitSink() override;
  JsonFileHitSink(const JsonFileHitSink&) = delete;
  JsonFileHitSink& operator=(const JsonFileHitSink&) = delete;
  void on_hit(const HitEvent& hit) override;

 private:
  int fd_ = -1;
  std::string path_;
  std::mutex mutex_;
};

// Hands every hit to each of its sinks in order, and counts them (for the summary).
class TeeHitSink : public HitSink {
 public:
  explicit TeeHitSink(std::vector<HitSink*> sinks) : sinks_(std::move(sinks)) {}
  void on_hit(const HitEvent& hit) override {
    for (auto* s : sinks_) s->on_hit(hit);
    hits_.fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  std::vector<HitSink*> sinks_;
  std::atomic<std::uint64_t> hits_{0};
};

}  // namespace dijk
