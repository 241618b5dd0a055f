#pragma once
// The command line of a daemon that takes nothing but its config file (dijk-check, dijk-watch):
// `NAME [--config FILE]` and --help. Anything else is a usage error, refused on stderr with exit 64.
#include <signal.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace dijk::cli {

struct DaemonArgs {
  std::string config;       // /etc/dijk/dijk.toml unless --config names another
  std::optional<int> exit;  // set: do not run, exit with this (0 after --help, 64 on a usage error)
};

// `about`: what --help says after the usage line (end it with a newline).
DaemonArgs parse_daemon_args(int argc, char** argv, std::string_view name, std::string_view about);

// The signals a daemon's main thread takes synchronously (sigwait): blocked here, before any thread starts,
// so that every thread inherits the mask and none is interrupted by them. SIGPIPE is ignored: a client
// that vanishes mid-answer is an EPIPE error, not the end of the daemon. Returns the set to wait on.
sigset_t block_daemon_signals(std::initializer_list<int> taken);

}  // namespace dijk::cli
