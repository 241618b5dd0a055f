#pragma once
// The threads that do the checking for the HTTP side. libmicrohttpd keeps each connection on the polling
// thread that accepted it, so hashing on that thread would let two busy keep-alive clients that landed on
// one thread share one core while the other idles. The server parks such a request (suspends its
// connection), posts the work here, and any free worker takes it.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dijk::check {

class CheckWorkers {
 public:
  explicit CheckWorkers(std::size_t threads);
  ~CheckWorkers();  // stop()
  CheckWorkers(const CheckWorkers&) = delete;
  CheckWorkers& operator=(const CheckWorkers&) = delete;

  // Queues a job; false once stop() has begun (the caller then does the job itself).
  bool post(std::function<void()> job);
  // Runs every job already queued, then joins the threads.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dijk::check
