// The sd_notify helper against a real notification socket, as systemd would provide it.
#include "config/notify/sd_notify.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "config/notify/capabilities.h"

namespace {

class NotifySocket {
 public:
  NotifySocket() {
    path_ = (std::filesystem::temp_directory_path() / ("dijk-notify-" + std::to_string(getpid()))).string();
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    unlink(path_.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    close(fd_);
    unlink(path_.c_str());
  }
  std::string receive() {
    char buf[512];
    const auto n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(SdNotify, MessagesReachTheNotifySocket) {
  NotifySocket systemd;
  dijk::sd::ready("serving 2 ports");
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=serving 2 ports");
  dijk::sd::reloading();
  EXPECT_EQ(systemd.receive(), "RELOADING=1");
  dijk::sd::watchdog_ping();
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
  dijk::sd::stopping();
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST(SdNotify, WatchdogPeriodAndPingerFollowTheEnvironment) {
  unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(dijk::sd::watchdog_period());
  {
    dijk::sd::WatchdogPinger off([] { return true; });
    EXPECT_FALSE(off.enabled());
  }
  NotifySocket systemd;
  setenv("WATCHDOG_USEC", "200000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  ASSERT_TRUE(dijk::sd::watchdog_period());
  EXPECT_EQ(dijk::sd::watchdog_period()->count(), 200000);
  {
    dijk::sd::WatchdogPinger pinger([] { return true; });
    EXPECT_TRUE(pinger.enabled());
    EXPECT_EQ(systemd.receive(), "WATCHDOG=1");  // within half the period
  }
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

}  // namespace

namespace {

// In a child process (capabilities are per thread and cannot come back): keep one, lose the rest.
TEST(Capabilities, KeepOnlyWhatIsNeeded) {
  if (geteuid() != 0) GTEST_SKIP() << "needs capabilities to drop";
  const pid_t child = fork();
  if (child == 0) {
    if (!(dijk::sd::effective_capabilities() & (1ull << CAP_SYS_RAWIO))) _exit(10);
    if (!dijk::sd::keep_only_capabilities({CAP_NET_RAW}).empty()) _exit(11);
    if (dijk::sd::effective_capabilities() != (1ull << CAP_NET_RAW)) _exit(12);
    // Gone for good: asking for it back fails.
    if (dijk::sd::keep_only_capabilities({CAP_NET_RAW, CAP_SYS_RAWIO}).empty() &&
        (dijk::sd::effective_capabilities() & (1ull << CAP_SYS_RAWIO))) {
      _exit(13);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
