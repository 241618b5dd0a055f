// What a daemon tells systemd (Type=notify): ready, reloading, stopping, a status line, and watchdog pings.
// Outside systemd (no NOTIFY_SOCKET) every call is a harmless no-op, so daemons call them unconditionally.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dijk::sd {

void ready(const std::string& status = "");
void reloading();  // follow with ready() once the new config is applied
void stopping();
void status(const std::string& line);
void watchdog_ping();

// The watchdog period systemd expects pings within (WatchdogSec=), or nullopt if the watchdog is off.
std::optional<std::chrono::microseconds> watchdog_period();

// Pings at half the watchdog period, but only while `alive()` says the daemon's own loop is making
// progress: a wedged daemon then stops pinging and systemd restarts it.
class WatchdogPinger {
 public:
  explicit WatchdogPinger(std::function<bool()> alive);
  ~WatchdogPinger();
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;
  bool enabled() const { return impl_ != nullptr; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dijk::sd
