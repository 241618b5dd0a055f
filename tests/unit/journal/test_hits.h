#pragma once
// Hits for journal tests: each carries a number in its hash so tests can tell them apart.
#include <cstdio>
#include <string>

#include "core/hit_event.h"

namespace dijk::journal::testing {

inline std::string numbered_hash(std::uint64_t n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(n));
  return buf;
}

inline HitEvent wire_hit(std::uint64_t n) {
  HitEvent h;
  h.time_ns = 1'700'000'000'000'000'000ull + n;
  h.source = HitSource::wire;
  FlowTuple f;
  f.src.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
  f.dst.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1};
  f.src_port = 51515;
  f.dst_port = 80;
  h.flow = f;
  h.method = "POST";
  h.host = "uploads.example";
  h.uri = "/upload?id=" + std::to_string(n);
  h.filename = "holiday-" + std::to_string(n) + ".jpg";
  h.size = 1000 + n;
  h.file_type = "jpeg";
  h.kind = HitKind::exact;
  h.algorithm = "sha256";
  h.hash = numbered_hash(n);
  h.list = "test-list";
  h.category = "A1";
  h.set_version = 42;
  return h;
}

inline HitEvent file_hit(std::uint64_t n) {
  HitEvent h;
  h.time_ns = 1'700'000'000'000'000'000ull + n;
  h.source = HitSource::file;
  h.path = "/srv/spool/" + std::to_string(n) + ".png";
  h.size = 2000 + n;
  h.file_type = "png";
  h.kind = HitKind::pdq;
  h.algorithm = "pdq";
  h.hash = numbered_hash(n);
  h.list = "pdq-list";
  h.pdq_distance = 12;
  h.pdq_quality = 90;
  h.set_version = 43;
  return h;
}

// The number a test hit carries (inverse of numbered_hash).
inline std::uint64_t hit_number(const HitEvent& h) {
  return std::stoull(h.hash, nullptr, 16);
}

}  // namespace dijk::journal::testing
