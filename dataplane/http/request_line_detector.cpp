#include "dataplane/http/request_line_detector.h"

#include <array>
#include <string_view>

namespace dijk {
namespace {

// The methods that open an HTTP/1.x connection. WebDAV's are here because a WebDAV client often asks
// OPTIONS or PROPFIND before it PUTs a file on the same connection; a flow whose first request is not
// recognised is not followed at all.
constexpr std::array<std::string_view, 19> kMethods = {
    "GET",       "HEAD",  "POST", "PUT",  "DELETE", "CONNECT", "OPTIONS", "TRACE",  "PATCH",     "PROPFIND",
    "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",   "UNLOCK",  "SEARCH",  "REPORT", "MKCALENDAR"};
constexpr std::uint32_t kAllMethods = (1u << kMethods.size()) - 1;
static_assert(kMethods.size() <= 32, "one bit a method");

constexpr std::string_view kVersionPrefix = "HTTP/1.";

// A target is any visible byte: ASCII without controls and space, and bytes of 0x80 and above (clients
// send raw UTF-8; the HTTP parser behind this is as lenient).
bool target_byte(std::uint8_t c) {
  return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

}  // namespace

RequestLineDetector::Verdict RequestLineDetector::feed(std::span<const std::uint8_t> bytes) {
  for (std::size_t i = 0; i < bytes.size() && verdict_ == Verdict::undecided; ++i) {
    ++seen_;
    verdict_ = step(bytes[i]);
    if (verdict_ == Verdict::undecided && seen_ >= kMaxLine) verdict_ = Verdict::not_request;
  }
  return verdict_;
}

RequestLineDetector::Verdict RequestLineDetector::step(std::uint8_t c) {
  switch (state_) {
    case State::start:
      // Empty lines before a request line are allowed (RFC 9112 2.2); they count against kMaxLine.
      if (c == '\r' || c == '\n') return Verdict::undecided;
      state_ = State::method;
      methods_ = kAllMethods;
      pos_ = 0;
      [[fallthrough]];
    case State::method: {
      if (c == ' ') {
        for (std::size_t i = 0; i < kMethods.size(); ++i) {
          if ((methods_ >> i & 1u) != 0 && kMethods[i].size() == pos_) {
            state_ = State::target_start;
            return Verdict::undecided;
          }
        }
        return Verdict::not_request;
      }
      std::uint32_t still = 0;
      for (std::size_t i = 0; i < kMethods.size(); ++i) {
        if ((methods_ >> i & 1u) != 0 && pos_ < kMethods[i].size() &&
            kMethods[i][pos_] == static_cast<char>(c))
          still |= 1u << i;
      }
      methods_ = still;
      ++pos_;
      return still == 0 ? Verdict::not_request : Verdict::undecided;
    }
    case State::target_start:
      if (!target_byte(c)) return Verdict::not_request;
      state_ = State::target;
      return Verdict::undecided;
    case State::target:
      if (c == ' ') {
        state_ = State::version;
        pos_ = 0;
        return Verdict::undecided;
      }
      return target_byte(c) ? Verdict::undecided : Verdict::not_request;
    case State::version:
      if (pos_ < kVersionPrefix.size()) {
        if (static_cast<char>(c) != kVersionPrefix[pos_]) return Verdict::not_request;
        ++pos_;
        return Verdict::undecided;
      }
      if (c != '0' && c != '1') return Verdict::not_request;
      state_ = State::cr;
      return Verdict::undecided;
    case State::cr:
      if (c == '\n') return Verdict::request;
      if (c != '\r') return Verdict::not_request;
      state_ = State::lf;
      return Verdict::undecided;
    case State::lf:
      return c == '\n' ? Verdict::request : Verdict::not_request;
  }
  return Verdict::not_request;
}

}  // namespace dijk
