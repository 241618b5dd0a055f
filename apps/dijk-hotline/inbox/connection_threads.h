#pragma once
// One thread a served connection, for the inbox's front doors: the accept thread starts them and reaps
// the finished ones between accepts; stop() joins the rest. Each thread blocks SIGPIPE first, so a client
// that vanishes mid-response is an EPIPE error in that thread rather than the end of the process.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <system_error>
#include <thread>

namespace dijk::inbox {

class ConnectionThreads {
 public:
  ConnectionThreads() = default;
  ~ConnectionThreads() { join_all(); }
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // Runs `serve` on a thread of its own; false (nothing started) when the system has no thread to give.
  bool start(std::function<void()> serve) {
    std::lock_guard lock(mutex_);
    Connection& conn = connections_.emplace_back();
    try {
      conn.thread = std::thread([&conn, serve = std::move(serve)] {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        serve();
        conn.done.store(true);
      });
    } catch (const std::system_error&) {
      connections_.pop_back();
      return false;
    }
    return true;
  }

  // Joins the threads whose connection has ended.
  void reap_finished() {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done.load()) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void join_all() {
    std::lock_guard lock(mutex_);
    for (auto& c : connections_) c.thread.join();
    connections_.clear();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }

 private:
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  mutable std::mutex mutex_;
  std::list<Connection> connections_;
};

}  // namespace dijk::inbox
