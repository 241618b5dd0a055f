#pragma once
// Hits as JSON lines (or readable text) on a stdio stream. Worker lcores call it concurrently: a mutex
// serialises whole lines (hits are rare; the packet path never takes it).
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/events/hit_event.h"

namespace dijk {

class JsonLinesHitSink : public HitSink {
 public:
  JsonLinesHitSink(std::FILE* out, bool json) : out_(out), json_(json) {}
  void on_hit(const HitEvent& hit) override;
  std::uint64_t hits() const;

 private:
  std::FILE* out_;
  bool json_;
  mutable std::mutex mutex_;
  std::uint64_t hits_ = 0;
};

// Hits appended as JSON lines to a file, each written and fdatasync'd before on_hit returns: the stand-in
// for the hit journal until dijkd writes to it. Thread-safe (a mutex; hits are rare).
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

// Hands every hit to each of its sinks in order.
class TeeHitSink : public HitSink {
 public:
  explicit TeeHitSink(std::vector<HitSink*> sinks) : sinks_(std::move(sinks)) {}
  void on_hit(const HitEvent& hit) override {
    for (auto* s : sinks_) s->on_hit(hit);
  }

 private:
  std::vector<HitSink*> sinks_;
};

std::string ip_to_string(const IpAddress& a);  // dotted quad for IPv4-mapped, RFC 5952 text otherwise
std::string hit_to_json(const HitEvent& hit);
std::string json_escape(const std::string& s);

}  // namespace dijk
