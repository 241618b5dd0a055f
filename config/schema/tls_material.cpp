#include "config/schema/tls_material.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

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
struct FileCloser {
  int fd;
  ~FileCloser() { ::close(fd); }
};

// A regular file only, opened without blocking: the config is hostile input like any other, and a path
// to a FIFO or a terminal must not hang every daemon that loads it.
std::string read_pem(const std::string& key, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw TlsMaterialError(key, "cannot read " + path + ": " + std::strerror(errno));
  const FileCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw TlsMaterialError(key, path + " is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxPemBytes)
    throw TlsMaterialError(key, path + " is over 1 MiB: not a PEM file");
  std::string text;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw TlsMaterialError(key, "cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > kMaxPemBytes) throw TlsMaterialError(key, path + " is over 1 MiB: not a PEM file");
  }
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
