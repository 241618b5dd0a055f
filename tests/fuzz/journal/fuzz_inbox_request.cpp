// Hostile requests to the inbox: the head parser and the report validator must answer every input with a
// parse or a clear 4xx/5xx, never crash. The input is split at the first blank line into head and body.
#include <cstdint>
#include <string>
#include <string_view>

#include "apps/dijk-hotline/inbox/http_request.h"
#include "apps/dijk-hotline/inbox/report_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t end = in.find("\r\n\r\n");
  const std::string_view head = end == std::string_view::npos ? in : in.substr(0, end + 4);
  const auto h = dijk::inbox::parse_request_head(head);
  if (h.status != 0 && (h.status < 400 || h.status > 599)) __builtin_trap();
  const std::string_view body = end == std::string_view::npos ? in : in.substr(end + 4);
  const auto r = dijk::inbox::parse_report(body, "appliance-1");
  if (r.status != 0 && (r.status < 400 || r.status > 499)) __builtin_trap();
  for (const auto& hit : r.hits) {
    if (hit.appliance != "appliance-1") __builtin_trap();
    // Every accepted key is the one its hit's journal and position make: no two hits of different
    // journals or positions can share one.
    const bool wire = hit.journal.empty() || hit.journal == "wire";
    const std::string key =
        "appliance-1:" + (wire ? std::string() : hit.journal + ":") + std::to_string(hit.position);
    if (hit.key != key) __builtin_trap();
    if (hit.journal.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
      __builtin_trap();
  }
  return 0;
}
