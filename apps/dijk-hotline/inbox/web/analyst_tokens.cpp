#include "apps/dijk-hotline/inbox/web/analyst_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace dijk::web {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

std::array<std::uint8_t, 32> digest_of(std::string_view secret) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  if (EVP_Digest(secret.data(), secret.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

}  // namespace

AnalystTokens AnalystTokens::load(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw std::runtime_error(file.string() + ": " + ec.message());
  if (size > kMaxFileBytes) throw std::runtime_error(file.string() + ": larger than 1 MiB");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

AnalystTokens AnalystTokens::parse(std::string_view text, const std::string& file_name) {
  static const std::regex name_re(R"(^[A-Za-z0-9._@-]{1,64}$)");
  AnalystTokens tokens;
  std::istringstream lines{std::string(text)};
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const auto where = file_name + ":" + std::to_string(number) + ": ";
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string name, secret, extra;
    if (!(words >> name)) continue;
    if (!(words >> secret) || (words >> extra)) throw std::runtime_error(where + "want NAME SECRET");
    if (!std::regex_match(name, name_re)) {
      throw std::runtime_error(where + "a name is 1 to 64 of letters, digits, '.', '_', '@', '-'");
    }
    if (secret.size() < kMinSecretBytes || secret.size() > kMaxCredentialBytes) {
      throw std::runtime_error(where + "a secret is " + std::to_string(kMinSecretBytes) + " to " +
                               std::to_string(kMaxCredentialBytes) + " characters");
    }
    for (const auto& a : tokens.analysts_) {
      if (a.name == name) throw std::runtime_error(where + "analyst " + name + " is given twice");
    }
    tokens.analysts_.push_back({name, digest_of(secret)});
  }
  if (tokens.analysts_.empty()) throw std::runtime_error(file_name + ": names no analyst");
  return tokens;
}

std::optional<std::string> AnalystTokens::authenticate(const Credentials& credentials) const {
  const auto presented = digest_of(credentials.secret);
  std::optional<std::string> who;
  // Every entry is compared, so the time taken does not tell which one came close.
  for (const auto& a : analysts_) {
    const bool secret_matches = CRYPTO_memcmp(a.secret.data(), presented.data(), presented.size()) == 0;
    const bool name_matches = credentials.name.empty() || credentials.name == a.name;
    if (secret_matches && name_matches && !who) who = a.name;
  }
  return who;
}

}  // namespace dijk::web
