#pragma once
// A bounded HTTP/1.1 request-head parser for the inbox: the request line and headers, nothing more.
// Everything it reads is hostile; anything outside the small subset the reporter speaks is a clear 4xx/5xx.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dijk::inbox {

inline constexpr std::size_t kMaxHeadBytes = 16 * 1024;
inline constexpr std::size_t kMaxHeaders = 64;
inline constexpr std::size_t kMaxTargetBytes = 2048;
inline constexpr std::uint64_t kMaxBodyBytes = 16ull << 20;

struct RequestHead {
  std::string method;
  std::string target;
  bool http11 = true;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool close = false;  // Connection: close, or HTTP/1.0 without keep-alive
};

struct HeadParse {
  int status = 0;      // 0: parsed; otherwise the HTTP status to answer with
  std::string reason;  // why, for the response body and the log
  RequestHead head;
};

// head: the bytes up to and including the blank line ("\r\n\r\n").
HeadParse parse_request_head(std::string_view head);

// The reason phrase of each status the inbox and its web view answer with ("Error" for others).
const char* http_reason_phrase(int status);

}  // namespace dijk::inbox
