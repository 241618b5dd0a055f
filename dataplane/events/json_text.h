#pragma once
// Minimal JSON text output for hit lines and summaries: strings escaped per RFC 8259, nothing else.
// Any bytes make a valid JSON string: those outside well-formed UTF-8 become U+FFFD (valid_utf8).
#include <cstdint>
#include <string>
#include <string_view>

namespace dijk {

std::string json_string(std::string_view s);

// Builds one JSON object, key by key, in the order given.
class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  JsonObject& add(std::string_view key, std::uint64_t value);
  JsonObject& add(std::string_view key, double value);
  JsonObject& add(std::string_view key, bool value) { return add_raw(key, value ? "true" : "false"); }
  JsonObject& add_raw(std::string_view key, std::string_view json);
  std::string str() const { return text_ + "}"; }

 private:
  void key(std::string_view k);
  std::string text_ = "{";
};

}  // namespace dijk
