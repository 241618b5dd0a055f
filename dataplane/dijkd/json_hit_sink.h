#pragma once
// Hits as JSON lines (or readable text) on a stdio stream. Worker lcores call it concurrently: a mutex
// serialises whole lines (hits are rare; the packet path never takes it).
#include <cstdio>
#include <mutex>
#include <string>

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

std::string ip_to_string(const IpAddress& a);  // dotted quad for IPv4-mapped, RFC 5952 text otherwise
std::string hit_to_json(const HitEvent& hit);
std::string json_escape(const std::string& s);

}  // namespace dijk
