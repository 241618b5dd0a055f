#pragma once
// A hit, as every source (wire, file scan) reports it and every sink (stdout, the journal) takes it.
// Only matched files become HitEvents: a non-matching hash never leaves the stage that computed it.
#include <cstdint>
#include <optional>
#include <string>

#include "core/flow_tuple.h"

namespace dijk {

enum class HitSource : std::uint8_t { wire = 1, file = 2 };
enum class HitKind : std::uint8_t { exact = 1, pdq = 2 };

struct HitEvent {
  std::uint64_t time_ns = 0;  // wall clock, nanoseconds since the epoch
  HitSource source = HitSource::file;
  // wire hits
  std::optional<FlowTuple> flow;
  std::string method, host, uri, filename;
  // file hits
  std::string path;
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
};

}  // namespace dijk
