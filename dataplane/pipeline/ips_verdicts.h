#pragma once
// Prevention on the inline bridge: what a worker's exact hits mean for the frames it holds. Sits between
// the stream stage (which finds a hit when the segment carrying the end of a file's body is processed)
// and the worker's hit lane. A hit whose list or category the policy says to `block` blocks its
// connection only if
//   - the worker is holding the frames it is processing (not forwarding first because it is behind), and
//   - the hit lane takes the hit, marked action "blocked" (the journal's ring had room, its disk works).
// Otherwise the bridge fails open: the hit is reported as usual and the reason counted. Every other hit
// goes to the lane unchanged. The worker asks take_blocks() after each span of segments it hands over
// and drops and resets the frames of the connections it names, from the segment that ended the file. PDQ hits
// never pass here (the PDQ stage has its own lanes and is too slow to hold a frame for): they are reported
// only.
#include <span>
#include <vector>

#include "core/hit_event.h"
#include "core/verdict.h"
#include "dataplane/ips/block.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk {

// The action written into a hit whose upload the bridge stopped (journal, reporter, printed hits).
inline constexpr const char* kActionBlocked = "blocked";

class IpsVerdicts final : public HitSink {
 public:
  IpsVerdicts(VerdictPolicy policy, HitSink& lane, StreamCounters& counters);

  void on_hit(const HitEvent& hit) override;
  // Whether the frames being processed now are held until the worker has the verdicts (set around each
  // held burst; false between bursts: on ticks and at the end).
  void hold(bool held) { held_ = held; }
  // Which segment of the span being processed the hits that follow come from (the pipeline says so before
  // each segment), so a block names the segment that ended the file.
  void at_segment(std::uint32_t index) { segment_ = index; }
  // The connections blocked since the last call, each with its segment; valid until the next call.
  std::span<const ips::Block> take_blocks();

 private:
  bool blocked_now(const FlowTuple& flow) const;

  VerdictPolicy policy_;
  HitSink& lane_;
  StreamCounters& counters_;
  bool held_ = false;
  std::uint32_t segment_ = 0;
  std::vector<ips::Block> blocks_;
  std::vector<ips::Block> taken_;
};

}  // namespace dijk
