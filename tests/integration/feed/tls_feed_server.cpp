#include "tests/integration/feed/tls_feed_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace dijk::test {
namespace fs = std::filesystem;
namespace {

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    throw std::runtime_error("no free port");
  }
  ::close(s);
  return ntohs(a.sin_port);
}

bool can_connect(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(s);
  return ok;
}

void make_ca(const std::string& dir, const std::string& name) {
  run_command("cd " + dir +
              " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
              "-subj /CN=" +
              name + " -keyout " + name + ".key -out " + name + ".pem 2>&1");
}

}  // namespace

std::string run_command(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int status = ::pclose(p);
  if (status != 0)
    throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + out);
  return out;
}

TlsFeedServer::TlsFeedServer() {
  std::string tmpl = (fs::temp_directory_path() / "dijk-feed-e2e-XXXXXX").string();
  dir_ = ::mkdtemp(tmpl.data());
  root_ = dir_ + "/www";
  fs::create_directories(root_);
  fs::create_directories(dir_ + "/nginx/logs");
  make_ca(dir_, "test-ca");
  make_ca(dir_, "other-ca");
  ca_ = dir_ + "/test-ca.pem";
  other_ca_ = dir_ + "/other-ca.pem";
  // The server certificate names 127.0.0.1, so curl's host check passes only for the pinned CA's cert.
  run_command(
      "cd " + dir_ +
      " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1"
      " -keyout server.key -out server.csr 2>&1"
      " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
      " && openssl x509 -req -in server.csr -CA test-ca.pem -CAkey test-ca.key -CAcreateserial -days 2"
      " -extfile san.ext -out server.pem 2>&1");
  // A port free a moment ago may be taken by another test's server before nginx binds it; then nginx
  // exits, and a connection would reach the other server. Our nginx must be the one alive on the port.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_nginx()) return;
  }
  throw std::runtime_error("nginx did not start; see " + dir_ + "/nginx/logs/error.log");
}

bool TlsFeedServer::start_nginx() {
  port_ = free_port();
  {
    std::ofstream conf(dir_ + "/nginx/nginx.conf");
    conf << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir_ << "/nginx/nginx.pid;\n"
         << "error_log " << dir_ << "/nginx/logs/error.log;\n"
         << "events { worker_connections 64; }\n"
         << "http {\n  access_log " << dir_ << "/nginx/logs/access.log;\n"
         << "  client_body_temp_path " << dir_ << "/nginx/body;\n"
         << "  default_type application/octet-stream;\n"
         << "  server {\n    listen 127.0.0.1:" << port_ << " ssl;\n"
         << "    ssl_certificate " << dir_ << "/server.pem;\n    ssl_certificate_key " << dir_
         << "/server.key;\n"
         << "    root " << root_ << ";\n"
         << "    location /slow/ { alias " << root_ << "/; limit_rate 20; }\n"
         << "    location /trickle/ { alias " << root_ << "/; limit_rate 1; }\n"
         << "  }\n}\n";
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    // Debian installs nginx in /usr/sbin, which an ordinary user's PATH may not have.
    const char* nginx = ::access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "nginx";
    ::execlp(nginx, "nginx", "-p", (dir_ + "/nginx").c_str(), "-c", (dir_ + "/nginx/nginx.conf").c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && !can_connect(port_); ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) break;  // exited: the port was taken
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  if (can_connect(port_)) return true;
  ::kill(pid_, SIGTERM);  // alive but not answering: try again elsewhere
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

TlsFeedServer::~TlsFeedServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TlsFeedServer::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

}  // namespace dijk::test
