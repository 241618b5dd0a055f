#include "config/notify/sd_notify.h"

#include <systemd/sd-daemon.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace dijk::sd {

void ready(const std::string& status_line) {
  const std::string message = status_line.empty() ? "READY=1" : "READY=1\nSTATUS=" + status_line;
  sd_notify(0, message.c_str());
}

void reloading() {
  sd_notify(0, "RELOADING=1");
}
void stopping() {
  sd_notify(0, "STOPPING=1");
}
void status(const std::string& line) {
  sd_notify(0, ("STATUS=" + line).c_str());
}
void watchdog_ping() {
  sd_notify(0, "WATCHDOG=1");
}

std::optional<std::chrono::microseconds> watchdog_period() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

struct WatchdogPinger::Impl {
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;
};

WatchdogPinger::WatchdogPinger(std::function<bool()> alive) {
  const auto period = watchdog_period();
  if (!period) return;
  impl_ = std::make_unique<Impl>();
  Impl* impl = impl_.get();
  impl->thread = std::thread([impl, alive = std::move(alive), half = *period / 2] {
    std::unique_lock lock(impl->mutex);
    while (!impl->wake.wait_for(lock, half, [impl] { return impl->stop; })) {
      if (alive()) watchdog_ping();
    }
  });
}

WatchdogPinger::~WatchdogPinger() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

}  // namespace dijk::sd
