// Hostile first bytes into HTTP detection. The first input byte picks piece sizes and, bit by bit, which
// side of the flow sends each piece. Checked: the verdict does not depend on how the bytes are cut (whole,
// in pieces, byte by byte); it is reached within RequestLineDetector::kMaxLine bytes; a request ends at a
// LF; the flow detection never holds a line's worth of bytes or more, and holds none once decided.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dataplane/http/http_flow_detection.h"
#include "dataplane/http/request_line_detector.h"

namespace {

using dijk::RequestLineDetector;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::span<const std::uint8_t> in(data + 1, size - 1);

  RequestLineDetector whole;
  const auto verdict = whole.feed(in);
  check(whole.seen() <= RequestLineDetector::kMaxLine);
  if (verdict == RequestLineDetector::Verdict::undecided) check(whole.seen() == in.size());
  if (verdict == RequestLineDetector::Verdict::request) check(in[whole.seen() - 1] == '\n');

  RequestLineDetector bytewise;
  for (std::size_t i = 0; i < in.size(); ++i) bytewise.feed(in.subspan(i, 1));
  check(bytewise.verdict() == verdict && bytewise.seen() == whole.seen());

  // The same bytes as one side of a flow, in pieces, with the other side talking in between.
  const std::size_t piece = 1 + control % 13;
  dijk::HttpFlowDetection flow;
  int turn = 0;
  for (std::size_t off = 0; off < in.size(); off += piece, ++turn) {
    const auto chunk = in.subspan(off, std::min(piece, in.size() - off));
    const bool other = off > 0 && ((control >> (turn % 8)) & 1) != 0;
    if (other) flow.data(dijk::Direction::server_to_client, chunk);
    flow.data(dijk::Direction::client_to_server, chunk);
    check(flow.held().size() < RequestLineDetector::kMaxLine);
    if (flow.outcome() == dijk::HttpFlowDetection::Outcome::not_http) check(flow.held().empty());
    if (flow.outcome() == dijk::HttpFlowDetection::Outcome::http) flow.release();
  }
  using Outcome = dijk::HttpFlowDetection::Outcome;
  const Outcome expected = verdict == RequestLineDetector::Verdict::request       ? Outcome::http
                           : verdict == RequestLineDetector::Verdict::not_request ? Outcome::not_http
                                                                                  : Outcome::undecided;
  if (!in.empty()) check(flow.outcome() == expected);
  if (flow.outcome() != Outcome::undecided) check(flow.client() == dijk::Direction::client_to_server);
  return 0;
}
