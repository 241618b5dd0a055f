#include "control/reporter/refusal.h"

#include <nlohmann/json.hpp>

namespace dijk::reporter {

Verdict classify_status(long http_status) {
  if (http_status == 200) return Verdict::stored;
  if (http_status >= 400 && http_status < 500 && http_status != 408 && http_status != 429) {
    return Verdict::refused;
  }
  return Verdict::transient;
}

std::string refusal_reason(std::string_view body) {
  std::string text(body.substr(0, 4096));
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) text = j["error"].get<std::string>();
  if (text.size() > kMaxReasonBytes) text.resize(kMaxReasonBytes);
  for (char& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return text.empty() ? "(no reason given)" : text;
}

}  // namespace dijk::reporter
