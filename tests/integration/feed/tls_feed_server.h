#pragma once
// A private nginx serving a directory over HTTPS on 127.0.0.1, with a CA and certificates made for the
// test by openssl. Started per test suite, stopped by pid.
#include <sys/types.h>

#include <string>

namespace dijk::test {

class TlsFeedServer {
 public:
  TlsFeedServer();
  ~TlsFeedServer();
  TlsFeedServer(const TlsFeedServer&) = delete;
  TlsFeedServer& operator=(const TlsFeedServer&) = delete;

  const std::string& root() const { return root_; }               // served at https://127.0.0.1:port/
  const std::string& ca_file() const { return ca_; }              // the CA that signed the server certificate
  const std::string& other_ca_file() const { return other_ca_; }  // a CA that did not
  const std::string& work_dir() const { return dir_; }
  std::string url(const std::string& path) const;
  // /slow/ is the same tree, sent at a few bytes a second (for time-outs); /trickle/ at one byte a second.
  int port() const { return port_; }

 private:
  bool start_nginx();  // on a fresh port; false if nginx exited (the port was taken meanwhile)

  std::string dir_;
  std::string root_;
  std::string ca_;
  std::string other_ca_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Runs a shell command; throws with its output if it fails.
std::string run_command(const std::string& command);

}  // namespace dijk::test
