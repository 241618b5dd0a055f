#pragma once
// The key behind the privacy policy's hmac (the policy itself is core/field_policy.h): per field, send it,
// omit it, or send HMAC-SHA256(local key, value) so the hotline can correlate without learning the value.
// Hashes of files that did not match never reach this point: only hits enter the journal.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/field_policy.h"

namespace dijk::reporter {

using ::dijk::PrivacyPolicy;  // core/field_policy.h: one policy for the config and the reporter

// The local HMAC key: raw bytes from a file, at least 16 of them.
class HmacKey {
 public:
  static HmacKey from_file(const std::filesystem::path& file);  // throws on missing or short key
  explicit HmacKey(std::vector<std::uint8_t> bytes);
  std::string hex_mac(std::string_view value) const;  // lower-case hex HMAC-SHA256

 private:
  std::vector<std::uint8_t> key_;
};

}  // namespace dijk::reporter
