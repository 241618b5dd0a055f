#pragma once
// Ed25519 keys and signatures (OpenSSL 3, one-shot EVP_DigestSign/EVP_DigestVerify with no digest: Ed25519
// hashes internally) and SHA-256. The only cryptography the feed uses.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dijk::feed {

class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;
using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::span<const std::uint8_t> bytes);
inline Sha256 sha256(std::string_view text) {
  return sha256({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// A private signing key. Stored as PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes).
class SigningKey {
 public:
  static SigningKey generate();
  static SigningKey load_pem(const std::string& path);
  // Writes with mode 0600 through a temporary file and a rename.
  void save_pem(const std::string& path) const;

  PublicKey public_key() const;
  Signature sign(std::string_view message) const;

 private:
  struct Free {
    void operator()(void* p) const;
  };
  explicit SigningKey(void* pkey) : pkey_(pkey) {}
  std::unique_ptr<void, Free> pkey_;  // EVP_PKEY*
};

// True only if `signature` is a valid Ed25519 signature of `message` by `key`.
bool verify(const PublicKey& key, std::string_view message, const Signature& signature);

// Public keys travel as 64 hex digits (root.pub, config files, the feed's delegation).
std::string key_to_hex(const PublicKey& key);
std::optional<PublicKey> key_from_hex(std::string_view hex);
// Reads a file holding one hex public key (surrounding white space ignored).
PublicKey load_public_key(const std::string& path);

}  // namespace dijk::feed
