// The admin socket a daemon embeds: a unix stream socket (mode 0660, group `dijk`) on which dijkctl sends
// framed JSON requests. Only root, the daemon's own user and members of the group get answers: the socket's
// file mode keeps others out, and SO_PEERCRED/SO_PEERGROUPS are checked again on every connection in case the
// mode was loosened. Each verb has one handler; handlers run on the server's own thread, one at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dijk::admin {

// Thrown by a handler for a refusal the user should read (bad argument, nothing to confirm...).
class AdminError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

// Root, the server's own user, or a member (primary or supplementary) of `allowed_gid`.
bool peer_allowed(const PeerCredentials& peer, gid_t allowed_gid, uid_t server_uid);

using Handler = std::function<nlohmann::json(const nlohmann::json& args)>;

class AdminServer {
 public:
  struct Options {
    std::string socket_path;
    std::string group = "dijk";  // must exist
    unsigned mode = 0660;        // tests loosen this to prove the credential check
    std::size_t max_clients = 32;
    int idle_timeout_ms = 30'000;
  };

  struct Counters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> denied{0};
    std::atomic<std::uint64_t> bad_frames{0};
    std::atomic<std::uint64_t> handler_errors{0};
  };

  explicit AdminServer(Options options);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Register before start(). A verb named "verbs" lists them all and is always present.
  void handle(std::string verb, Handler handler);

  // Binds the socket (replacing a stale one), sets its mode and group, and starts serving.
  // Throws std::system_error or std::runtime_error with a message an operator can act on.
  void start();
  void stop();

  const Counters& counters() const { return counters_; }

 private:
  struct Client;
  void serve();
  void on_readable(Client& client);
  void on_payload(Client& client, const std::string& payload);

  Options options_;
  std::map<std::string, Handler, std::less<>> handlers_;
  Counters counters_;
  gid_t gid_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace dijk::admin
