#pragma once
// A hit, as every source (wire, file scan, the check API, ICAP) reports it and every sink (stdout, the
// journal) takes it.
// Only matched files become HitEvents: a non-matching hash never leaves the stage that computed it.
#include <cstdint>
#include <optional>
#include <string>

#include "core/flow_tuple.h"

namespace dijk {

// The values are stored in journal records: never renumber.
// retrohunt: a stored file the fingerprint catalog found when a set version added its hash.
enum class HitSource : std::uint8_t { wire = 1, file = 2, api = 3, icap = 4, retrohunt = 5 };
inline constexpr const char* hit_source_name(HitSource s) {
  switch (s) {
    case HitSource::wire:
      return "wire";
    case HitSource::file:
      return "file";
    case HitSource::api:
      return "api";
    case HitSource::icap:
      return "icap";
    case HitSource::retrohunt:
      return "retrohunt";
  }
  return "unknown";
}
// Every source a record may hold (the journal decoder refuses any other byte).
inline constexpr bool is_hit_source(std::uint8_t v) {
  return v >= 1 && v <= 5;
}
enum class HitKind : std::uint8_t { exact = 1, pdq = 2 };

// A stored file as stat saw it when it was read: who owns it on the box and when it was last written.
struct FileStat {
  std::uint32_t owner_uid = 0;
  std::int64_t mtime_ns = 0;  // nanoseconds since the epoch

  bool operator==(const FileStat&) const = default;
};

struct HitEvent {
  std::uint64_t time_ns = 0;  // wall clock, nanoseconds since the epoch
  HitSource source = HitSource::file;
  // wire hits
  std::optional<FlowTuple> flow;
  std::string method, host, uri, filename;
  // file hits
  std::string path;
  std::optional<FileStat> file_stat;
  // API and ICAP hits: what the caller said about the upload (headers), and what the policy made of it
  // ("block" or "report"). Client IP is as the caller gave it; the reporter applies the privacy policy.
  std::string customer, upload_id, client_ip;
  std::string action;
  // the file and the match
  std::uint64_t size = 0;
  std::string file_type;  // file_type_name()
  HitKind kind = HitKind::exact;
  std::string algorithm;  // "md5", "sha1", "sha256" or "pdq"
  std::string hash;       // lower-case hex of the matched digest
  std::string list;       // name of the list it matched
  std::string category;
  std::optional<std::uint32_t> pdq_distance;
  std::optional<std::uint32_t> pdq_quality;
  std::uint64_t set_version = 0;
};

// Where hits go. Implementations: JSON lines to a stream, the durable journal. Called from the thread
// that found the hit; implementations that share state across threads must say how they synchronise.
class HitSink {
 public:
  virtual ~HitSink() = default;
  virtual void on_hit(const HitEvent& hit) = 0;
  // Hands the hit over only if the sink can take it now on its way to durable storage; false (nothing
  // taken, nothing counted) when it cannot: its queue is full or its disk is failing. The inline bridge's
  // prevention mode enacts a block only once its hit is taken, and fails open otherwise. A sink without
  // a queue takes every hit.
  virtual bool try_hit(const HitEvent& hit) {
    on_hit(hit);
    return true;
  }
};

}  // namespace dijk
