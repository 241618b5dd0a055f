#include "apps/dijkctl/check_probe.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dijk::ctl {
namespace {

// The health document is small; a larger answer is not dijk-check's.
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

CheckProbe failure(CheckProbe::State state, std::string detail) {
  CheckProbe p;
  p.state = state;
  p.detail = std::move(detail);
  return p;
}

}  // namespace

CheckProbe probe_check_api(const std::string& socket_path, std::chrono::milliseconds patience) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path)
    return failure(CheckProbe::State::failed, "bad socket path '" + socket_path + "'");
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  const Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return failure(CheckProbe::State::failed, std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED) return failure(CheckProbe::State::not_running, std::strerror(e));
    if (e == EACCES || e == EPERM) return failure(CheckProbe::State::denied, std::strerror(e));
    return failure(CheckProbe::State::failed, std::strerror(e));
  }
  const std::string request = "GET /v1/health HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    return failure(CheckProbe::State::failed, std::string("cannot send: ") + std::strerror(errno));
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return failure(CheckProbe::State::failed,
                     "no answer within " + std::to_string(patience.count()) + " ms");
    char buf[4096];
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure(CheckProbe::State::failed, std::strerror(errno));
    if (n == 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
    if (answer.size() > kMaxAnswerBytes) return failure(CheckProbe::State::failed, "answer too large");
  }
  // "HTTP/1.x NNN reason\r\n" ... "\r\n\r\n" body
  const auto body_at = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12 || body_at == std::string::npos)
    return failure(CheckProbe::State::failed, "not an HTTP answer");
  CheckProbe p;
  p.http_status = static_cast<unsigned>(std::strtoul(answer.c_str() + 9, nullptr, 10));
  p.health = nlohmann::json::parse(answer.substr(body_at + 4), nullptr, false);
  if (p.health.is_discarded() || !p.health.is_object())
    return failure(CheckProbe::State::failed,
                   "HTTP " + std::to_string(p.http_status) + " without a JSON body");
  p.state = CheckProbe::State::up;
  return p;
}

}  // namespace dijk::ctl
