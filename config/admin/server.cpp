#include "config/admin/server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <optional>
#include <system_error>

#include "config/admin/frame.h"

namespace dijk::admin {
namespace {

std::system_error errno_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

gid_t lookup_group(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  const int rc = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    throw std::runtime_error("admin socket group '" + name +
                             "' does not exist (systemd-sysusers creates it from dijk.sysusers.conf)");
  }
  return found->gr_gid;
}

std::optional<PeerCredentials> credentials_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  PeerCredentials peer{cred.pid, cred.uid, cred.gid, {}};
  std::vector<gid_t> groups(64);
  socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0 && errno == ERANGE) {
    groups.resize(glen / sizeof(gid_t) + 1);
    glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0) glen = 0;
  }
  groups.resize(glen / sizeof(gid_t));
  peer.groups = std::move(groups);
  return peer;
}

using Clock = std::chrono::steady_clock;

}  // namespace

bool peer_allowed(const PeerCredentials& peer, gid_t allowed_gid, uid_t server_uid) {
  if (peer.uid == 0 || peer.uid == server_uid || peer.gid == allowed_gid) return true;
  return std::find(peer.groups.begin(), peer.groups.end(), allowed_gid) != peer.groups.end();
}

struct AdminServer::Client {
  int fd = -1;
  FrameDecoder decoder;
  std::string out;
  bool close_after_write = false;
  bool closed = false;
  uid_t uid = 0;  // from SO_PEERCRED: stamped into every request as "peer_uid", for the audit log
  Clock::time_point last_activity = Clock::now();
};

AdminServer::AdminServer(Options options) : options_(std::move(options)) {
  handle("verbs", [this](const nlohmann::json&) {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& [name, h] : handlers_) names.push_back(name);
    return names;
  });
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::handle(std::string verb, Handler handler) {
  handlers_[std::move(verb)] = std::move(handler);
}

void AdminServer::start() {
  gid_ = lookup_group(options_.group);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (options_.socket_path.size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error("admin socket path too long: " + options_.socket_path);
  }
  std::memcpy(addr.sun_path, options_.socket_path.c_str(), options_.socket_path.size() + 1);
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw errno_error("admin socket");
  // A socket file left by a previous run is replaced; anything else at that path is not touched.
  struct stat st {};
  if (lstat(options_.socket_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(options_.socket_path.c_str());
  // Create it with no permissions at all, then open it up to exactly the mode and group wanted.
  const mode_t old_umask = umask(0777);
  const int rc = bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  umask(old_umask);
  if (rc != 0) throw errno_error("bind admin socket " + options_.socket_path);
  if (chown(options_.socket_path.c_str(), static_cast<uid_t>(-1), gid_) != 0) {
    throw errno_error("chown admin socket " + options_.socket_path + " to group " + options_.group);
  }
  if (chmod(options_.socket_path.c_str(), static_cast<mode_t>(options_.mode)) != 0) {
    throw errno_error("chmod admin socket " + options_.socket_path);
  }
  if (listen(listen_fd_, 16) != 0) throw errno_error("listen on admin socket");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw errno_error("eventfd");
  thread_ = std::thread([this] { serve(); });
}

void AdminServer::stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    unlink(options_.socket_path.c_str());
  }
  if (wake_fd_ >= 0) {
    close(wake_fd_);
    wake_fd_ = -1;
  }
}

void AdminServer::serve() {
  std::list<Client> clients;
  const uid_t self = geteuid();
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& c : clients) {
      fds.push_back({c.fd, static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
    }
    const int ready = poll(fds.data(), fds.size(), 1000);
    if (ready < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) {
      for (auto& c : clients) close(c.fd);
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        counters_.connections.fetch_add(1, std::memory_order_relaxed);
        const auto peer = credentials_of(fd);
        Client& c = clients.emplace_back();
        c.fd = fd;
        if (peer) c.uid = peer->uid;
        if (!peer || !peer_allowed(*peer, gid_, self)) {
          counters_.denied.fetch_add(1, std::memory_order_relaxed);
          c.out = encode_frame(
              encode_error("access denied: uid " + (peer ? std::to_string(peer->uid) : std::string("?")) +
                           " is neither root nor a member of group '" + options_.group + "'"));
          c.close_after_write = true;
        } else if (clients.size() > options_.max_clients) {
          c.out = encode_frame(encode_error("too many admin connections, try again"));
          c.close_after_write = true;
        }
      }
    }
    std::size_t i = 2;
    const auto now = Clock::now();
    for (auto& c : clients) {
      if (i >= fds.size()) break;
      const short revents = fds[i++].revents;
      if ((revents & (POLLERR | POLLNVAL)) != 0) {
        c.closed = true;
      } else if ((revents & POLLOUT) != 0) {
        const auto n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          c.closed = true;
        } else if (n > 0) {
          c.out.erase(0, static_cast<std::size_t>(n));
          c.last_activity = now;
          if (c.out.empty() && c.close_after_write) c.closed = true;
        }
      } else if ((revents & (POLLIN | POLLHUP)) != 0) {
        on_readable(c);
      } else if (now - c.last_activity > std::chrono::milliseconds(options_.idle_timeout_ms)) {
        c.closed = true;
      }
    }
    clients.remove_if([](const Client& c) {
      if (c.closed) close(c.fd);
      return c.closed;
    });
  }
}

void AdminServer::on_readable(Client& c) {
  char buffer[16384];
  const auto n = recv(c.fd, buffer, sizeof(buffer), 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    c.closed = true;
    return;
  }
  if (n < 0) return;
  c.last_activity = Clock::now();
  if (c.close_after_write) return;  // refused peers get their answer and nothing else
  c.decoder.feed(buffer, static_cast<std::size_t>(n));
  std::string payload;
  for (;;) {
    const auto status = c.decoder.next(payload);
    if (status == FrameDecoder::Status::kNeedMore) break;
    if (status == FrameDecoder::Status::kError) {
      counters_.bad_frames.fetch_add(1, std::memory_order_relaxed);
      c.out += encode_frame(encode_error(c.decoder.error()));
      c.close_after_write = true;
      break;
    }
    on_payload(c, payload);
  }
}

void AdminServer::on_payload(Client& c, const std::string& payload) {
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  std::string why;
  const auto request = parse_request(payload, why);
  std::string reply;
  if (!request) {
    counters_.bad_frames.fetch_add(1, std::memory_order_relaxed);
    reply = encode_error(why);
  } else if (const auto h = handlers_.find(request->verb); h == handlers_.end()) {
    reply = encode_error("unknown verb '" + request->verb + "'");
  } else {
    try {
      // The caller's uid as the kernel says it, whatever the request claimed.
      nlohmann::json args = request->args;
      if (args.is_object()) args["peer_uid"] = c.uid;
      reply = encode_ok(h->second(args));
    } catch (const std::exception& e) {
      counters_.handler_errors.fetch_add(1, std::memory_order_relaxed);
      reply = encode_error(e.what());
    }
  }
  if (reply.size() > kMaxFrameBytes) reply = encode_error("reply too large");
  c.out += encode_frame(reply);
}

}  // namespace dijk::admin
