#pragma once
// dijkctl status's look at dijk-check: GET /v1/health on its unix socket, with plain HTTP/1.0 (one request,
// the server closes after the answer), so dijkctl needs no HTTP library for one small JSON document.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace dijk::ctl {

struct CheckProbe {
  enum class State {
    up,           // it answered /v1/health (200, or 503 before its first set)
    not_running,  // no socket, or nobody listening on it
    denied,       // the socket is there but this user may not connect (not in the socket's group)
    failed,       // connected, but no readable answer
  };
  State state = State::failed;
  unsigned http_status = 0;
  nlohmann::json health;  // the /v1/health document when up
  std::string detail;     // the system's or the parser's words, for the line dijkctl prints
};

// Never throws; gives up after `patience` without an answer.
CheckProbe probe_check_api(const std::string& socket_path,
                           std::chrono::milliseconds patience = std::chrono::milliseconds(3000));

}  // namespace dijk::ctl
