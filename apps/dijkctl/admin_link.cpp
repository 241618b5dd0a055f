#include "apps/dijkctl/admin_link.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <regex>

#include "config/admin/client.h"
#include "config/admin/status.h"
#include "config/schema/loader.h"

namespace dijk::ctl {

std::vector<cli::OptionSpec> daemon_options(std::vector<cli::OptionSpec> extra) {
  std::vector<cli::OptionSpec> options = {
      {"--json", false, "machine-readable output"},
      {"--socket", true, "talk to this admin socket instead of the ones in the config", "PATH"},
      {"--config", true, "config file naming the sockets (default /etc/dijk/dijk.toml or $DIJK_CONFIG)",
       "FILE"},
  };
  options.insert(options.end(), extra.begin(), extra.end());
  return options;
}

std::string config_path(const cli::ParsedArgs& args) {
  if (auto c = args.value("--config")) return *c;
  if (const char* env = std::getenv("DIJK_CONFIG"); env != nullptr && *env != '\0') return env;
  return kDefaultConfigPath;
}

namespace {

AdminConfig admin_config(const cli::ParsedArgs& args) {
  // A config with errors elsewhere still names its sockets; a missing file means the defaults.
  return load_config_file(config_path(args)).config.admin;
}

}  // namespace

std::vector<DaemonSocket> daemon_sockets(const cli::ParsedArgs& args) {
  if (auto s = args.value("--socket")) return {{"daemon", *s}};
  const auto admin = admin_config(args);
  std::vector<DaemonSocket> out{{"dijkd", admin.socket}};
  if (admin.control_socket != admin.socket) out.push_back({"dijk-control", admin.control_socket});
  return out;
}

std::vector<DaemonSocket> every_daemon_socket(const cli::ParsedArgs& args) {
  auto sockets = daemon_sockets(args);
  if (const auto watch = watch_socket(args)) sockets.push_back(*watch);
  if (const auto check = check_admin_socket(args)) sockets.push_back(*check);
  return sockets;
}

std::optional<CheckApiSocket> check_api_socket(const cli::ParsedArgs& args) {
  const auto api = load_config_file(config_path(args)).config.check_api;
  if (auto s = args.value("--check-socket")) return CheckApiSocket{*s, api.socket_group};
  if (args.value("--socket") || api.socket.empty()) return std::nullopt;
  return CheckApiSocket{api.socket, api.socket_group};
}

std::optional<DaemonSocket> watch_socket(const cli::ParsedArgs& args) {
  if (args.value("--socket")) return std::nullopt;
  const auto admin = admin_config(args);
  if (admin.watch_socket == admin.socket || admin.watch_socket == admin.control_socket) return std::nullopt;
  return DaemonSocket{"dijk-watch", admin.watch_socket};
}

std::optional<DaemonSocket> check_admin_socket(const cli::ParsedArgs& args) {
  if (args.value("--socket")) return std::nullopt;
  return DaemonSocket{"dijk-check", admin_config(args).check_socket};
}

DaemonSocket dataplane_socket(const cli::ParsedArgs& args) {
  if (auto s = args.value("--socket")) return {"daemon", *s};
  return {"dijkd", admin_config(args).socket};
}

DaemonSocket control_socket(const cli::ParsedArgs& args) {
  if (auto s = args.value("--socket")) return {"daemon", *s};
  return {"dijk-control", admin_config(args).control_socket};
}

nlohmann::json call(const DaemonSocket& socket, const std::string& verb, const nlohmann::json& args) {
  try {
    admin::AdminClient client(socket.path);
    nlohmann::json stamped = args;
    if (stamped.is_object() && !stamped.contains("by")) stamped["by"] = "dijkctl";  // for the daemons' log
    return client.call(verb, stamped);
  } catch (const admin::ConnectError& e) {
    if (e.code() == ENOENT || e.code() == ECONNREFUSED) throw DaemonDown(socket.daemon + ": " + e.what());
    throw std::runtime_error(socket.daemon + ": " + e.what());
  } catch (const admin::RemoteError& e) {
    throw std::runtime_error(socket.daemon + ": " + e.what());
  }
}

std::string human_duration(std::uint64_t s) {
  const std::uint64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
  if (m > 0) return std::to_string(m) + "m " + std::to_string(sec) + "s";
  return std::to_string(sec) + "s";
}

std::string iso_time(std::int64_t unix_seconds) {
  return admin::iso_utc(unix_seconds);
}

std::int64_t parse_since(const std::string& text, std::int64_t now_unix) {
  static const std::regex relative(R"(^(\d+)(s|m|h|d)$)");
  static const std::regex absolute(R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$)");
  static const std::regex epoch(R"(^\d{9,12}$)");
  std::smatch m;
  if (std::regex_match(text, m, relative)) {
    const std::int64_t n = std::stoll(m[1].str());
    const char unit = m[2].str()[0];
    const std::int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    return now_unix - n * scale;
  }
  if (std::regex_match(text, epoch)) return std::stoll(text);
  if (std::regex_match(text, m, absolute)) {
    std::tm tm{};
    tm.tm_year = std::stoi(m[1].str()) - 1900;
    tm.tm_mon = std::stoi(m[2].str()) - 1;
    tm.tm_mday = std::stoi(m[3].str());
    tm.tm_hour = m[4].matched ? std::stoi(m[4].str()) : 0;
    tm.tm_min = m[5].matched ? std::stoi(m[5].str()) : 0;
    tm.tm_sec = m[6].matched ? std::stoi(m[6].str()) : 0;
    return static_cast<std::int64_t>(timegm(&tm));
  }
  throw cli::UsageError("--since wants 15m, 2h, 3d, a unix time or 2026-11-28T10:00:00Z, not '" + text + "'");
}

std::uint64_t parse_window(const std::string& text) {
  static const std::regex re(R"(^(\d+)(ms|s|m)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) {
    throw cli::UsageError("--confirm-within wants a duration like 60s, 2m or 500ms, not '" + text + "'");
  }
  const std::uint64_t n = std::stoull(m[1].str());
  const std::string unit = m[2].str();
  const std::uint64_t ms = unit == "ms" ? n : unit == "m" ? n * 60'000 : n * 1000;
  if (ms == 0 || ms > 3'600'000) throw cli::UsageError("--confirm-within must be between 1ms and 1h");
  return ms;
}

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace dijk::ctl
