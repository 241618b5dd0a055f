#pragma once
// Where a stage that runs on several threads gets each thread's own HitSink. The daemon's implementation
// gives every worker lcore and PDQ thread its own journal lane, so no two threads share a producer; the
// stages (dataplane/pipeline) need only this, not the journal.
#include "core/hit_event.h"

namespace dijk {

class HitLaneSource {
 public:
  virtual ~HitLaneSource() = default;
  // A sink for one producing thread, owned by the source. Called once per thread, before it starts.
  virtual HitSink& new_lane() = 0;
};

}  // namespace dijk
