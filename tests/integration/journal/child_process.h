#pragma once
// Starts a helper binary as a child process (output to a log file) and kills or waits for it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace dijk::journal::testing {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~ChildProcess() {
    if (running()) kill(SIGKILL);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0 && !reaped_; }
  // Sends sig and reaps the child; returns its wait status.
  int kill(int sig) {
    if (!running()) return status_;
    ::kill(pid_, sig);
    return wait();
  }
  int wait() {
    if (!running()) return status_;
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
    return status_;
  }
  // True if it has exited (reaps it).
  bool exited() {
    if (!running()) return true;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return reaped_;
  }

 private:
  pid_t pid_ = -1;

 public:
  pid_t pid() const { return pid_; }

 private:
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace dijk::journal::testing
