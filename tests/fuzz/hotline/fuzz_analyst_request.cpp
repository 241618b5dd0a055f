// Hostile requests to the analysts' web view: the first line is a request target, the rest a request
// head. The target parses within its caps or is refused; a header value is found once or not at all and
// never spans a line; credentials come back only within their size cap.
#include <cstdint>
#include <string_view>

#include "apps/dijk-hotline/inbox/web/analyst_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::web;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view target = input.substr(0, nl);
  const std::string_view head = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  if (const auto t = parse_target(target)) {
    if (t->path.empty() || t->path.front() != '/' || t->query.size() > kMaxQueryParameters) __builtin_trap();
    for (const auto& [k, v] : t->query) {
      if (k.empty() || k.size() > target.size() || v.size() > target.size()) __builtin_trap();
    }
  }
  if (const auto value = header_value(head, "authorization")) {
    if (value->find("\r\n") != std::string::npos) __builtin_trap();
    if (const auto c = parse_authorization(*value)) {
      if (c->secret.size() > kMaxCredentialBytes || c->name.find(':') != std::string::npos) __builtin_trap();
    }
  }
  return 0;
}
