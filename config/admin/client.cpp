#include "config/admin/client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/admin/frame.h"

namespace dijk::admin {

AdminClient::AdminClient(const std::string& socket_path, int timeout_ms) : path_(socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path))
    throw ConnectError("socket path too long: " + socket_path, ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw ConnectError(std::strerror(errno), errno);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int code = errno;
    close(fd_);
    fd_ = -1;
    std::string hint;
    if (code == EACCES || code == EPERM) {
      hint = " (only root and members of the admin group may use it)";
    } else if (code == ENOENT || code == ECONNREFUSED) {
      hint = " (is the daemon running?)";
    }
    throw ConnectError("cannot connect to " + socket_path + ": " + std::strerror(code) + hint, code);
  }
}

AdminClient::~AdminClient() {
  if (fd_ >= 0) close(fd_);
}

nlohmann::json AdminClient::call(const std::string& verb, const nlohmann::json& args) {
  const std::string frame = encode_frame(encode_request(Request{verb, args}));
  for (std::size_t sent = 0; sent < frame.size();) {
    const auto n = send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    // A daemon that refuses us answers first and hangs up: its answer is still there to read.
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break;
    if (n <= 0) throw std::runtime_error("sending to " + path_ + ": " + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  FrameDecoder decoder;
  std::string payload;
  char buffer[16384];
  for (;;) {
    const auto status = decoder.next(payload);
    if (status == FrameDecoder::Status::kFrame) break;
    if (status == FrameDecoder::Status::kError) throw std::runtime_error("bad reply: " + decoder.error());
    const auto n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("reading from " + path_ + ": " + std::strerror(errno));
    if (n == 0) throw std::runtime_error("the daemon closed the connection on " + path_);
    decoder.feed(buffer, static_cast<std::size_t>(n));
  }
  const auto reply = nlohmann::json::parse(payload, nullptr, false);
  if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok")) {
    throw std::runtime_error("bad reply from " + path_);
  }
  if (!reply["ok"].get<bool>()) {
    throw RemoteError(reply.value("error", std::string("unknown error")));
  }
  return reply.value("result", nlohmann::json());
}

}  // namespace dijk::admin
