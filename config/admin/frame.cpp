#include "config/admin/frame.h"

#include <stdexcept>

namespace dijk::admin {

std::string encode_frame(std::string_view payload) {
  if (payload.size() > kMaxFrameBytes) throw std::length_error("admin frame payload too large");
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  frame.push_back(static_cast<char>((n >> 24) & 0xff));
  frame.push_back(static_cast<char>((n >> 16) & 0xff));
  frame.push_back(static_cast<char>((n >> 8) & 0xff));
  frame.push_back(static_cast<char>(n & 0xff));
  frame.append(payload);
  return frame;
}

void FrameDecoder::feed(const char* data, std::size_t size) {
  if (!error_.empty()) return;
  buffer_.append(data, size);
}

FrameDecoder::Status FrameDecoder::next(std::string& payload) {
  if (!error_.empty()) return Status::kError;
  if (buffer_.size() < kFrameHeaderBytes) return Status::kNeedMore;
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(buffer_[i]));
  };
  const std::uint32_t length = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  if (length > kMaxFrameBytes) {
    error_ = "frame of " + std::to_string(length) + " bytes is larger than the " +
             std::to_string(kMaxFrameBytes) + " allowed";
    buffer_.clear();
    return Status::kError;
  }
  if (buffer_.size() < kFrameHeaderBytes + length) return Status::kNeedMore;
  payload.assign(buffer_, kFrameHeaderBytes, length);
  buffer_.erase(0, kFrameHeaderBytes + length);
  return Status::kFrame;
}

std::optional<Request> parse_request(std::string_view payload, std::string& error) {
  const auto doc = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = "request is not valid JSON";
    return std::nullopt;
  }
  if (!doc.is_object()) {
    error = "request must be a JSON object";
    return std::nullopt;
  }
  const auto verb = doc.find("verb");
  if (verb == doc.end() || !verb->is_string() || verb->get_ref<const std::string&>().empty()) {
    error = "request has no \"verb\" string";
    return std::nullopt;
  }
  Request r;
  r.verb = verb->get<std::string>();
  if (const auto args = doc.find("args"); args != doc.end()) {
    if (!args->is_object()) {
      error = "request \"args\" must be an object";
      return std::nullopt;
    }
    r.args = *args;
  }
  return r;
}

std::string encode_request(const Request& request) {
  return nlohmann::json{{"verb", request.verb}, {"args", request.args}}.dump();
}

std::string encode_ok(const nlohmann::json& result) {
  return nlohmann::json{{"ok", true}, {"result", result}}.dump(-1, ' ', false,
                                                               nlohmann::json::error_handler_t::replace);
}

std::string encode_error(std::string_view message) {
  return nlohmann::json{{"ok", false}, {"error", std::string(message)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dijk::admin
