#pragma once
// Tells from the first bytes one side of a TCP connection sends whether it speaks HTTP/1.x as a client:
// an HTTP/1.x request line (a known method, one space, a target, one space, HTTP/1.0 or HTTP/1.1, CRLF or
// LF), so uploads are found on any port. Fed incrementally (a line may arrive a byte at a time); it says
// "not a request" as soon as the bytes seen cannot begin one, so a TLS, SSH or binary flow is given up
// after a byte or two, and any flow after at most one line of kMaxLine bytes. It keeps no bytes: only a
// few bytes of state.
#include <cstdint>
#include <span>

namespace dijk {

class RequestLineDetector {
 public:
  enum class Verdict : std::uint8_t { undecided, request, not_request };

  // Longest request line (with the blank lines a client may send before it) that is still accepted.
  static constexpr std::uint32_t kMaxLine = 8 * 1024;

  // The next bytes of this side. Returns the verdict once they decide it (bytes after that are ignored,
  // and later calls return it again).
  Verdict feed(std::span<const std::uint8_t> bytes);
  Verdict verdict() const { return verdict_; }
  // Bytes looked at until the verdict (or so far).
  std::uint32_t seen() const { return seen_; }

 private:
  enum class State : std::uint8_t { start, method, target_start, target, version, cr, lf };
  Verdict step(std::uint8_t c);

  std::uint32_t seen_ = 0;
  std::uint32_t methods_ = 0;  // bit i: the method token so far is a prefix of kMethods[i]
  std::uint8_t pos_ = 0;       // position within the method or the version token
  State state_ = State::start;
  Verdict verdict_ = Verdict::undecided;
};

}  // namespace dijk
