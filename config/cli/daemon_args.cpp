#include "config/cli/daemon_args.h"

#include <pthread.h>

#include <iostream>

#include "config/schema/config.h"

namespace dijk::cli {

DaemonArgs parse_daemon_args(int argc, char** argv, std::string_view name, std::string_view about) {
  DaemonArgs out{kDefaultConfigPath, std::nullopt};
  const std::string usage = std::string(name) + " [--config FILE]";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      out.config = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: " << usage << "\n" << about;
      out.exit = 0;
      return out;
    } else {
      std::cerr << name << ": unknown argument '" << arg << "' (usage: " << usage << ")\n";
      out.exit = 64;
      return out;
    }
  }
  return out;
}

sigset_t block_daemon_signals(std::initializer_list<int> taken) {
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : taken) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signals;
}

}  // namespace dijk::cli
