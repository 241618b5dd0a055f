#pragma once
// Whether a TCP flow is HTTP/1.x, and which side is its client, from its first bytes: the first side to
// send must begin with a request line (RequestLineDetector). An HTTP server never speaks first, so a
// banner (SSH, SMTP), a TLS ClientHello or a response caught mid-way means the flow is not followed.
// The side's bytes are held only while a line is incomplete across segments (at most one line); the other
// side's bytes meanwhile are counted, not kept (they cannot be an answer to a request not yet sent).
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/http/request_line_detector.h"
#include "dataplane/stream/flow_app.h"

namespace dijk {

class HttpFlowDetection {
 public:
  enum class Outcome : std::uint8_t { undecided, http, not_http };

  // In-order bytes of one side. On `http`, the bytes the caller must hand to the HTTP parser as the
  // client's are held() followed by `bytes`.
  Outcome data(Direction dir, std::span<const std::uint8_t> bytes);
  // Bytes of one side that were lost: the first side's start unknown is not HTTP.
  Outcome gap(Direction dir, std::uint64_t bytes);

  Outcome outcome() const { return outcome_; }
  // The side that sent the request line (valid once the outcome is http).
  Direction client() const { return speaker_; }
  // The client's bytes before those of the call that decided.
  std::span<const std::uint8_t> held() const { return held_; }
  // Bytes the other side sent (or lost) before the outcome: the parser never sees them.
  std::uint64_t other_side_bytes() const { return other_side_bytes_; }
  // Frees the held bytes once they are handed on.
  void release() { std::vector<std::uint8_t>().swap(held_); }

 private:
  RequestLineDetector detector_;
  std::vector<std::uint8_t> held_;
  std::uint64_t other_side_bytes_ = 0;
  Direction speaker_ = Direction::client_to_server;
  bool spoke_ = false;
  Outcome outcome_ = Outcome::undecided;
};

}  // namespace dijk
