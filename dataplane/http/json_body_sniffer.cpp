#include "dataplane/http/json_body_sniffer.h"

#include <algorithm>
#include <cstring>

namespace dijk {

JsonBodySniffer::Verdict JsonBodySniffer::look(std::span<const std::uint8_t> bytes) {
  if (verdict_ != Verdict::undecided) return verdict_;
  // The four bytes RFC 8259 calls whitespace, as the JSON scanner skips them.
  const auto first = std::find_if(bytes.begin(), bytes.end(), [](std::uint8_t c) {
    return c != ' ' && c != '\t' && c != '\r' && c != '\n';
  });
  const auto blanks = static_cast<std::size_t>(first - bytes.begin());
  if (blanks > held_.size() - held_size_) {
    // Too much whitespace to hold: hashed as sent, from what is held. However the body is cut into
    // pieces, the same bodies are JSON.
    verdict_ = Verdict::other;
    return verdict_;
  }
  if (first != bytes.end()) {
    verdict_ = (*first == '{' || *first == '[') ? Verdict::json : Verdict::other;
    return verdict_;
  }
  if (!bytes.empty()) std::memcpy(held_.data() + held_size_, bytes.data(), bytes.size());
  held_size_ += bytes.size();
  return verdict_;
}

}  // namespace dijk
