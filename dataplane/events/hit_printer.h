#pragma once
// HitSinks that print: one JSON object a line for scripts, or one readable line for people. Safe to call
// from several worker threads (a mutex around the write: hits are rare, this is not the packet path).
#include <cstdio>
#include <mutex>
#include <string>

#include "core/hit_event.h"

namespace dijk {

std::string hit_json_line(const HitEvent& hit);
std::string hit_human_line(const HitEvent& hit);
std::string ip_text(const IpAddress& ip);

class PrintingHitSink final : public HitSink {
 public:
  enum class Style { json, human };
  PrintingHitSink(std::FILE* out, Style style) : out_(out), style_(style) {}
  void on_hit(const HitEvent& hit) override;

 private:
  std::mutex mutex_;
  std::FILE* out_;
  Style style_;
};

}  // namespace dijk
