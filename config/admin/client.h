// dijkctl's side of the admin socket: connect, send one framed request, read one framed reply.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace dijk::admin {

// The daemon could not be reached (not running, no permission...). `code` is the errno.
class ConnectError : public std::runtime_error {
 public:
  ConnectError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// The daemon answered {"ok": false, "error": ...}.
class RemoteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AdminClient {
 public:
  explicit AdminClient(const std::string& socket_path, int timeout_ms = 30'000);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // The reply's "result"; throws RemoteError, or std::runtime_error if the connection breaks.
  nlohmann::json call(const std::string& verb, const nlohmann::json& args = nlohmann::json::object());

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace dijk::admin
