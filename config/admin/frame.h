// The admin protocol's framing: each message is a 4-byte big-endian payload length followed by that many
// bytes of UTF-8 JSON. A request is {"verb": "...", "args": {...}}; a reply is {"ok": true, "result": ...} or
// {"ok": false, "error": "..."}. Frames over kMaxFrameBytes are refused before any is buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace dijk::admin {

inline constexpr std::size_t kMaxFrameBytes = 1 << 20;
inline constexpr std::size_t kFrameHeaderBytes = 4;

// Header + payload. The payload must not exceed kMaxFrameBytes (std::length_error otherwise).
std::string encode_frame(std::string_view payload);

// Reassembles frames from a byte stream that arrives in arbitrary pieces.
class FrameDecoder {
 public:
  enum class Status { kNeedMore, kFrame, kError };

  void feed(const char* data, std::size_t size);
  // Moves the next complete payload into `payload`. After kError the stream is unusable.
  Status next(std::string& payload);
  const std::string& error() const { return error_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  std::string error_;
};

struct Request {
  std::string verb;
  nlohmann::json args = nlohmann::json::object();
};

// Parses one request payload; on failure returns nullopt and says why in `error`.
std::optional<Request> parse_request(std::string_view payload, std::string& error);

std::string encode_request(const Request& request);
std::string encode_ok(const nlohmann::json& result);
std::string encode_error(std::string_view message);

}  // namespace dijk::admin
