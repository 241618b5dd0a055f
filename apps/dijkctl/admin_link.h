// What dijkctl's daemon verbs share: which socket to talk to (--socket, else admin.socket and
// admin.control_socket from the config file), the common options, and human formatting of times.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/cli/arg_parser.h"

namespace dijk::ctl {

struct DaemonSocket {
  std::string daemon;  // "dijkd", "dijk-control" or "dijk-watch"
  std::string path;
};

// --json, --socket PATH, --config FILE.
std::vector<cli::OptionSpec> daemon_options(std::vector<cli::OptionSpec> extra = {});

// The daemons to talk to, deduplicated by path (one fake daemon in tests serves both roles).
std::vector<DaemonSocket> daemon_sockets(const cli::ParsedArgs& args);
// daemon_sockets(), then dijk-watch's and dijk-check's admin sockets (optional: they may not run).
std::vector<DaemonSocket> every_daemon_socket(const cli::ParsedArgs& args);
// The one socket for verbs that belong to one daemon.
DaemonSocket dataplane_socket(const cli::ParsedArgs& args);
DaemonSocket control_socket(const cli::ParsedArgs& args);

// dijk-check's unix socket for `status` (--check-socket, else check_api.socket from the config, unless
// --socket names one daemon) and the group that may use it; nullopt: do not look.
struct CheckApiSocket {
  std::string path;
  std::string group;
};
std::optional<CheckApiSocket> check_api_socket(const cli::ParsedArgs& args);
// dijk-watch's admin socket (admin.watch_socket), unless --socket names one daemon. dijk-watch is
// optional: `status` and `stats` ask it when it runs and say so when it does not.
std::optional<DaemonSocket> watch_socket(const cli::ParsedArgs& args);
// dijk-check's admin socket (admin.check_socket), for `stats`; `status` asks its API's health instead.
std::optional<DaemonSocket> check_admin_socket(const cli::ParsedArgs& args);

// The config file dijkctl reads: --config, else $DIJK_CONFIG, else /etc/dijk/dijk.toml.
std::string config_path(const cli::ParsedArgs& args);

// The daemon is not running: no socket, or nobody listening on it (`status` exits 3 for it).
class DaemonDown : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One request; connection and remote errors are thrown as std::runtime_error with a readable message
// (DaemonDown when the daemon is not running).
nlohmann::json call(const DaemonSocket& socket, const std::string& verb,
                    const nlohmann::json& args = nlohmann::json::object());

// "3h 12m", "45s", "2d 4h".
std::string human_duration(std::uint64_t seconds);
// "2026-11-28T19:00:00Z".
std::string iso_time(std::int64_t unix_seconds);
// "15m", "2h", "3d", "90s", a unix timestamp, or an ISO-8601 UTC time; returns unix seconds.
std::int64_t parse_since(const std::string& text, std::int64_t now_unix);
// "30s", "1m", "500ms" or plain seconds; returns milliseconds.
std::uint64_t parse_window(const std::string& text);

// Prints the JSON value, pretty, one document per call.
void print_json(const nlohmann::json& value);

}  // namespace dijk::ctl
