#pragma once
// A TLS server's certificate, private key and (optionally) the CA bundle its clients' certificates must
// chain to, read from PEM files and checked together: the files are readable, each parses, the key is the
// certificate's, and the bundle holds at least one certificate. The config loader uses it to refuse a bad
// [check_api] TLS setup with a clear error; dijk-check uses it to hand the PEM text to libmicrohttpd.
#include <stdexcept>
#include <string>

namespace dijk {

// What is wrong, worded for the operator ("cannot read /etc/dijk/tls/api.key: No such file or directory").
// `key` is the config key whose file it is about ("tls_key"), so the loader can point at it.
class TlsMaterialError : public std::runtime_error {
 public:
  TlsMaterialError(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

class TlsMaterial {
 public:
  // Throws TlsMaterialError. `client_ca_file` may be empty: then no client certificate is asked for.
  static TlsMaterial load(const std::string& cert_file, const std::string& key_file,
                          const std::string& client_ca_file);

  const std::string& cert_pem() const { return cert_pem_; }
  const std::string& key_pem() const { return key_pem_; }
  const std::string& client_ca_pem() const { return client_ca_pem_; }  // empty: no client certificates

 private:
  std::string cert_pem_, key_pem_, client_ca_pem_;
};

}  // namespace dijk
