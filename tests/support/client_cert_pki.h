#pragma once
// A throw-away PKI for a TLS server that asks for client certificates, made with the openssl command line
// in a test's own directory: a CA, a server certificate for 127.0.0.1, a client certificate it signed, one
// it signed that has expired, a second (rogue) CA with a client certificate of the same name, and a key
// that belongs to none of them.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace dijk::test {

struct ClientCertPki {
  std::filesystem::path ca, server_cert, server_key;
  std::filesystem::path client_cert, client_key;    // CN client_cn, signed by ca
  std::filesystem::path expired_cert, expired_key;  // CN client_cn, signed by ca, not valid after yesterday
  std::filesystem::path rogue_cert, rogue_key;      // CN client_cn, signed by another CA
  std::filesystem::path stray_key;                  // matches no certificate
};

inline ClientCertPki make_client_cert_pki(const std::filesystem::path& dir, const std::string& client_cn) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
  std::ofstream(dir / "client.ext") << "extendedKeyUsage=clientAuth\n";
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
  // A certificate signed by `ca`, valid for `days` (-1: its end is before its start, so it has expired).
  const auto leaf = [&](const std::string& name, const std::string& cn, const std::string& ca,
                        const std::string& ext, int days) {
    return "openssl req" + key + "-keyout " + name + ".key -out " + name + ".csr -subj /CN=" + cn +
           " 2>/dev/null && openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
           ".key -CAcreateserial -out " + name + ".crt -days " + std::to_string(days) + " -extfile " + ext +
           " 2>/dev/null && ";
  };
  const std::string script =
      "set -e; cd '" + dir.string() + "' && openssl req -x509" + key +
      "-keyout ca.key -out ca.crt -subj /CN=dijk-test-client-ca -days 2 2>/dev/null && " +
      "openssl req -x509" + key +
      "-keyout rogue-ca.key -out rogue-ca.crt -subj /CN=dijk-test-rogue-ca -days 2 "
      "2>/dev/null && " +
      leaf("server", "127.0.0.1", "ca", "server.ext", 2) + leaf("client", client_cn, "ca", "client.ext", 2) +
      leaf("expired", client_cn, "ca", "client.ext", -1) +
      leaf("rogue", client_cn, "rogue-ca", "client.ext", 2) +
      "openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out stray.key "
      "2>/dev/null";
  if (std::system(("bash -c \"" + script + "\"").c_str()) != 0) throw std::runtime_error("openssl failed");
  return {dir / "ca.crt",     dir / "server.crt",  dir / "server.key",  dir / "client.crt",
          dir / "client.key", dir / "expired.crt", dir / "expired.key", dir / "rogue.crt",
          dir / "rogue.key",  dir / "stray.key"};
}

}  // namespace dijk::test
