#pragma once
// What the analysts' web view reads from a request, all of it outside bytes: the path and the decoded
// query of the target, one header's value, and the credentials in an Authorization header. Bounded and
// strict: anything malformed is refused (nullopt) and answered 400 or 401, never guessed at.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dijk::web {

inline constexpr std::size_t kMaxQueryParameters = 16;
inline constexpr std::size_t kMaxCredentialBytes = 512;

struct Target {
  std::string path;                          // "/hits"
  std::map<std::string, std::string> query;  // decoded (%XX and '+'), each key once
};

// An origin-form target ("/path?k=v&k2=v2"); nullopt on a bad escape, a repeated key, too many keys, or
// a path that does not start with '/'. Empty values are kept as "" (a filter form sends them).
std::optional<Target> parse_target(std::string_view target);

// The value of header `name` (lower case) in a request head, trimmed; nullopt if absent or given twice.
std::optional<std::string> header_value(std::string_view head, std::string_view name);

struct Credentials {
  std::string name;  // Basic: the user name; Bearer: empty
  std::string secret;
};

// "Bearer TOKEN" or "Basic base64(NAME:SECRET)"; nullopt for anything else.
std::optional<Credentials> parse_authorization(std::string_view value);

}  // namespace dijk::web
