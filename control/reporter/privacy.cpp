#include "control/reporter/privacy.h"

#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "hashcore/util/hex.h"

namespace dijk::reporter {

HmacKey::HmacKey(std::vector<std::uint8_t> bytes) : key_(std::move(bytes)) {
  if (key_.size() < 16) throw std::runtime_error("HMAC key must be at least 16 bytes");
}

HmacKey HmacKey::from_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read HMAC key " + file.string());
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return HmacKey(std::move(bytes));
}

std::string HmacKey::hex_mac(std::string_view value) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t out_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_.data(), key_.size(),
                reinterpret_cast<const unsigned char*>(value.data()), value.size(), out, sizeof out,
                &out_len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return to_hex(std::span<const std::uint8_t>(out, out_len));
}

}  // namespace dijk::reporter
