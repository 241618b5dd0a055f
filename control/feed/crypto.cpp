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

#include "core/durable_file.h"
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
  BIO* pem = BIO_new(BIO_s_mem());
  if (pem == nullptr) throw CryptoError(path + ": cannot write private key");
  const bool ok =
      PEM_write_bio_PrivateKey(pem, as_pkey(pkey_.get()), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  char* text = nullptr;
  const long size = BIO_get_mem_data(pem, &text);
  const std::string bytes =
      ok && size > 0 ? std::string(text, static_cast<std::size_t>(size)) : std::string();
  BIO_free(pem);
  if (bytes.empty()) throw CryptoError(path + ": cannot write private key");
  try {
    write_file_durably(path, bytes, 0600);
  } catch (const std::system_error& e) {
    throw CryptoError(path + ": cannot write private key: " + e.what());
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
