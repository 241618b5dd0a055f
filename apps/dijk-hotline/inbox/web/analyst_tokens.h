#pragma once
// Who may read the analysts' web view: a file the hotline keeps (mode 0600 advised), one analyst a line,
// "NAME SECRET" ('#' starts a comment). A browser sends NAME and SECRET as HTTP Basic credentials (its
// own login prompt, no cookies, no script); a tool may send "Authorization: Bearer SECRET". Only SHA-256
// digests of the secrets are held, compared in constant time.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/dijk-hotline/inbox/web/analyst_request.h"

namespace dijk::web {

inline constexpr std::size_t kMinSecretBytes = 16;

class AnalystTokens {
 public:
  // Throws std::runtime_error naming the file and line of anything wrong.
  static AnalystTokens load(const std::filesystem::path& file);
  static AnalystTokens parse(std::string_view text, const std::string& file_name);

  // The analyst the credentials belong to, if any.
  std::optional<std::string> authenticate(const Credentials& credentials) const;
  std::size_t size() const { return analysts_.size(); }

 private:
  using Digest = std::array<std::uint8_t, 32>;
  struct Analyst {
    std::string name;
    Digest secret;
  };
  std::vector<Analyst> analysts_;
};

}  // namespace dijk::web
