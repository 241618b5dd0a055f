#pragma once
// How the reporter reads the inbox's answer to a report: stored, worth resending (the inbox or the network
// is unwell), or refused for good (the inbox will never take these hits as they are). Only the last kind
// quarantines hits; resending them would block every later hit behind them.
#include <string>
#include <string_view>

namespace dijk::reporter {

enum class Verdict { stored, transient, refused };

// 200: stored. 4xx other than 408 (timeout) and 429 (too many requests): refused. The rest (no answer,
// 5xx, 408, 429, anything unexpected) is transient.
Verdict classify_status(long http_status);

// The inbox's reason for a refusal, short and printable: its {"error":"..."} text when the body is that,
// else the body itself; control and non-ASCII bytes become '?', at most kMaxReasonBytes.
inline constexpr std::size_t kMaxReasonBytes = 300;
std::string refusal_reason(std::string_view body);

}  // namespace dijk::reporter
