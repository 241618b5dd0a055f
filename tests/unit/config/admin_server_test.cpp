// The admin server under hostile clients: garbage and oversized frames get a clear error and a counter,
// the connection is closed, and the next client is served as if nothing happened.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "config/admin/client.h"
#include "config/admin/frame.h"
#include "config/admin/server.h"

namespace {

std::string group_name() {
  return getgrgid(getegid())->gr_name;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("dijk-admin-" + std::to_string(getpid()) + ".sock"))
                .string();
    server_ =
        std::make_unique<dijk::admin::AdminServer>(dijk::admin::AdminServer::Options{path_, group_name()});
    server_->handle("echo", [](const nlohmann::json& args) { return args; });
    server_->handle("fail", [](const nlohmann::json&) -> nlohmann::json {
      throw dijk::admin::AdminError("nothing to roll back to");
    });
    server_->start();
  }
  void TearDown() override { server_.reset(); }

  // Sends raw bytes, returns the reply frame's payload (or "" if the server just closed).
  std::string raw(const std::string& bytes) {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    dijk::admin::FrameDecoder d;
    std::string payload;
    char buf[4096];
    while (d.next(payload) != dijk::admin::FrameDecoder::Status::kFrame) {
      const auto n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        payload.clear();
        break;
      }
      d.feed(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return payload;
  }

  std::string path_;
  std::unique_ptr<dijk::admin::AdminServer> server_;
};

TEST_F(AdminServerTest, SocketModeIs0660) {
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
}

TEST_F(AdminServerTest, ServesVerbsAndHandlerErrors) {
  dijk::admin::AdminClient client(path_);
  // The server stamps the caller's uid (SO_PEERCRED) into every request, whatever the client claimed.
  EXPECT_EQ(client.call("echo", {{"a", 1}, {"peer_uid", 12345}}),
            (nlohmann::json{{"a", 1}, {"peer_uid", getuid()}}));
  EXPECT_EQ(client.call("verbs"), (nlohmann::json{"echo", "fail", "verbs"}));
  try {
    client.call("fail");
    FAIL() << "no error";
  } catch (const dijk::admin::RemoteError& e) {
    EXPECT_STREQ(e.what(), "nothing to roll back to");
  }
  try {
    client.call("stauts");
    FAIL() << "no error";
  } catch (const dijk::admin::RemoteError& e) {
    EXPECT_STREQ(e.what(), "unknown verb 'stauts'");
  }
  EXPECT_EQ(server_->counters().handler_errors.load(), 1u);
}

TEST_F(AdminServerTest, HostileFramesRefusedCountedAndServerCarriesOn) {
  EXPECT_EQ(raw(std::string("\x7f\xff\xff\xff", 4) + "xxxx"),
            R"({"error":"frame of 2147483647 bytes is larger than the 1048576 allowed","ok":false})");
  EXPECT_EQ(raw(dijk::admin::encode_frame("not json")),
            R"({"error":"request is not valid JSON","ok":false})");
  EXPECT_EQ(raw(dijk::admin::encode_frame("{\"verb\":\"echo\",\"args\":7}")),
            R"({"error":"request \"args\" must be an object","ok":false})");
  EXPECT_EQ(server_->counters().bad_frames.load(), 3u);
  dijk::admin::AdminClient client(path_);
  EXPECT_EQ(client.call("echo", {{"still", "here"}}),
            (nlohmann::json{{"still", "here"}, {"peer_uid", getuid()}}));
}

TEST_F(AdminServerTest, StaleSocketFileIsReplaced) {
  server_.reset();
  // Leave a dead socket file behind, as a crashed daemon would.
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  dijk::admin::AdminServer again({path_, group_name()});
  again.handle("echo", [](const nlohmann::json& a) { return a; });
  again.start();
  dijk::admin::AdminClient client(path_);
  EXPECT_EQ(client.call("echo", {{"x", 2}}), (nlohmann::json{{"x", 2}, {"peer_uid", getuid()}}));
}

TEST(AdminServerSetup, MissingGroupIsAClearError) {
  dijk::admin::AdminServer s({"/tmp/dijk-nogroup.sock", "no-such-group-xyz"});
  try {
    s.start();
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "admin socket group 'no-such-group-xyz' does not exist (systemd-sysusers creates it from "
                 "dijk.sysusers.conf)");
  }
}

}  // namespace
