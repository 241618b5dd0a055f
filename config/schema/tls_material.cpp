#include "config/schema/tls_material.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace dijk {
namespace {

// PEM files are small; a larger one is a wrong path (a disk image, /dev/zero), not a certificate.
constexpr std::size_t kMaxPemBytes = 1 << 20;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string read_pem(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TlsMaterialError(key, "cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxPemBytes) throw TlsMaterialError(key, path + " is over 1 MiB: not a PEM file");
  }
  if (in.bad()) throw TlsMaterialError(key, "cannot read " + path);
  return text;
}

Bio memory_bio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Never ask for a passphrase: a daemon has no terminal, and an encrypted key would hang or fail later.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

}  // namespace

TlsMaterial TlsMaterial::load(const std::string& cert_file, const std::string& key_file,
                              const std::string& client_ca_file) {
  TlsMaterial m;
  m.cert_pem_ = read_pem("tls_cert", cert_file);
  m.key_pem_ = read_pem("tls_key", key_file);
  Cert cert(PEM_read_bio_X509(memory_bio(m.cert_pem_).get(), nullptr, &no_passphrase, nullptr));
  if (!cert) throw TlsMaterialError("tls_cert", cert_file + " holds no PEM certificate");
  Key key(PEM_read_bio_PrivateKey(memory_bio(m.key_pem_).get(), nullptr, &no_passphrase, nullptr));
  if (!key) {
    ERR_clear_error();
    throw TlsMaterialError("tls_key", key_file + " holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw TlsMaterialError("tls_key",
                           key_file + " is not the private key of the certificate in " + cert_file);
  }
  if (!client_ca_file.empty()) {
    m.client_ca_pem_ = read_pem("tls_client_ca", client_ca_file);
    const Bio bio = memory_bio(m.client_ca_pem_);
    int count = 0;
    while (Cert ca{PEM_read_bio_X509(bio.get(), nullptr, &no_passphrase, nullptr)}) ++count;
    ERR_clear_error();  // the end of the bundle reads as an error
    if (count == 0) throw TlsMaterialError("tls_client_ca", client_ca_file + " holds no PEM certificate");
  }
  ERR_clear_error();
  return m;
}

}  // namespace dijk
