#include "dataplane/http/http_flow_detection.h"

namespace dijk {

HttpFlowDetection::Outcome HttpFlowDetection::data(Direction dir, std::span<const std::uint8_t> bytes) {
  if (outcome_ != Outcome::undecided || bytes.empty()) return outcome_;
  if (!spoke_) {
    spoke_ = true;
    speaker_ = dir;
  }
  if (dir != speaker_) {
    other_side_bytes_ += bytes.size();
    return outcome_;
  }
  switch (detector_.feed(bytes)) {
    case RequestLineDetector::Verdict::undecided:
      // The line goes on in a later segment; the detector gives up before kMaxLine bytes are held.
      held_.insert(held_.end(), bytes.begin(), bytes.end());
      break;
    case RequestLineDetector::Verdict::request:
      outcome_ = Outcome::http;
      break;
    case RequestLineDetector::Verdict::not_request:
      outcome_ = Outcome::not_http;
      release();
      break;
  }
  return outcome_;
}

HttpFlowDetection::Outcome HttpFlowDetection::gap(Direction dir, std::uint64_t bytes) {
  if (outcome_ != Outcome::undecided) return outcome_;
  if (spoke_ && dir != speaker_) {
    other_side_bytes_ += bytes;
    return outcome_;
  }
  // The first bytes of the side that spoke first are lost: its request line cannot be checked, and the
  // HTTP parser could not find the start of a request either.
  outcome_ = Outcome::not_http;
  release();
  return outcome_;
}

}  // namespace dijk
