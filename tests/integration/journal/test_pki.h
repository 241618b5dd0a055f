#pragma once
// A throw-away PKI made with the openssl command line for each test: the hotline CA, the inbox's server
// certificate (for 127.0.0.1), an appliance client certificate, a second appliance's, and a rogue CA with its
// own "appliance".
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace dijk::journal::testing {

struct TestPki {
  std::filesystem::path ca, server_cert, server_key, client_cert, client_key, rogue_cert, rogue_key;
  std::filesystem::path other_cert, other_key;  // another appliance of the same hotline: <appliance>-other
};

inline TestPki make_test_pki(const std::filesystem::path& dir, const std::string& appliance = "appliance-1") {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
  std::ofstream(dir / "client.ext") << "extendedKeyUsage=clientAuth\n";
  const std::string d = dir.string();
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
  const std::string script =
      "set -e; cd '" + d +
      "'; "
      "openssl req -x509" +
      key +
      "-keyout ca.key -out ca.crt -subj /CN=test-hotline-ca -days 2 2>/dev/null; "
      "openssl req" +
      key +
      "-keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null; "
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
      "-extfile server.ext 2>/dev/null; "
      "openssl req" +
      key + "-keyout client.key -out client.csr -subj /CN=" + appliance +
      " 2>/dev/null; "
      "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 "
      "-extfile client.ext 2>/dev/null; "
      "openssl req" +
      key + "-keyout other.key -out other.csr -subj /CN=" + appliance +
      "-other 2>/dev/null; "
      "openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out other.crt -days 2 "
      "-extfile client.ext 2>/dev/null; "
      "openssl req -x509" +
      key +
      "-keyout rogue-ca.key -out rogue-ca.crt -subj /CN=rogue-ca -days 2 2>/dev/null; "
      "openssl req" +
      key + "-keyout rogue.key -out rogue.csr -subj /CN=" + appliance +
      " 2>/dev/null; "
      "openssl x509 -req -in rogue.csr -CA rogue-ca.crt -CAkey rogue-ca.key -CAcreateserial -out rogue.crt "
      "-days 2 -extfile client.ext 2>/dev/null";
  if (std::system(("bash -c \"" + script + "\"").c_str()) != 0) throw std::runtime_error("openssl failed");
  return {dir / "ca.crt",    dir / "server.crt", dir / "server.key", dir / "client.crt", dir / "client.key",
          dir / "rogue.crt", dir / "rogue.key",  dir / "other.crt",  dir / "other.key"};
}

}  // namespace dijk::journal::testing
