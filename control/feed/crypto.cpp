#include "control/feed/crypto.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hashcore/util/hex.h"

namespace dijk::feed {
namespace {
EVP_PKEY* as_pkey(void* p) {
  return static_cast<EVP_PKEY*>(p);
}

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, CtxFree>;
}  // namespace

Sha256 sha256(std::span<const std::uint8_t> bytes) {
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    throw CryptoError("SHA-256 failed");
  }
  return out;
}

void SigningKey::Free::operator()(void* p) const {
  EVP_PKEY_free(as_pkey(p));
}

SigningKey SigningKey::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) throw CryptoError("Ed25519 key generation failed");
  return SigningKey(key);
}

SigningKey SigningKey::load_pem(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw CryptoError(path + ": cannot open: " + std::strerror(errno));
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (key == nullptr) throw CryptoError(path + ": not a PEM private key");
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    throw CryptoError(path + ": not an Ed25519 key");
  }
  return SigningKey(key);
}

void SigningKey::save_pem(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw CryptoError(tmp + ": cannot create: " + std::strerror(errno));
  FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    ::close(fd);
    throw CryptoError(tmp + ": fdopen failed");
  }
  const bool ok = PEM_write_PrivateKey(f, as_pkey(pkey_.get()), nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
                  std::fflush(f) == 0 && ::fsync(fd) == 0;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw CryptoError(path + ": cannot write private key");
  }
}

PublicKey SigningKey::public_key() const {
  PublicKey out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(as_pkey(pkey_.get()), out.data(), &len) != 1 || len != out.size()) {
    throw CryptoError("cannot read the Ed25519 public key");
  }
  return out;
}

Signature SigningKey::sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  Signature out{};
  std::size_t len = out.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, as_pkey(pkey_.get())) != 1 ||
      EVP_DigestSign(ctx.get(), out.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != out.size()) {
    throw CryptoError("Ed25519 signing failed");
  }
  return out;
}

bool verify(const PublicKey& key, std::string_view message, const Signature& signature) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  if (pkey == nullptr) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_PKEY_free(pkey);
  return ok;
}

std::string key_to_hex(const PublicKey& key) {
  return to_hex(key);
}

std::optional<PublicKey> key_from_hex(std::string_view hex) {
  PublicKey out{};
  if (!from_hex_into(hex, out)) return std::nullopt;
  return out;
}

PublicKey load_public_key(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CryptoError(path + ": cannot open public key");
  std::string text;
  std::getline(in, text, '\0');
  const auto begin = text.find_first_not_of(" \t\r\n");
  const auto end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) throw CryptoError(path + ": empty public key file");
  const auto key = key_from_hex(std::string_view(text).substr(begin, end - begin + 1));
  if (!key) throw CryptoError(path + ": not a 64-hex-digit Ed25519 public key");
  return *key;
}

}  // namespace dijk::feed
