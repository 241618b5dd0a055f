#pragma once
// What integration tests share: a temporary folder that cleans up after itself, and running a command
// with its output and exit status captured.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dijk::test {

class TempDir;
// The [admin] and [metrics] tables for a daemon a test runs: every admin socket in `dir`, the test's own
// group, dijk-watch's exporter on a free port (its ready line names it).
std::string test_admin_toml(const TempDir& dir);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv (no shell) and waits; stdin is /dev/null.
CommandResult run_command(const std::vector<std::string>& argv);

// Starts argv (searched in PATH) in the background with stdout to `out` and stderr to `out` + ".err".
pid_t spawn_with_output(const std::vector<std::string>& argv, const std::filesystem::path& out);
// SIGTERM, then up to `patience` for the process to exit, then SIGKILL. Returns the wait status and
// sets pid to -1.
int stop_process(pid_t& pid, std::chrono::milliseconds patience);

// Live wire tests in network namespaces. Shell commands bringing `dev` up in namespace `ns` at MTU 1500
// with segmentation and checksum offloads off, so af_packet sees the frames as they are on the wire.
std::string link_up_without_offloads(const std::string& ns, const std::string& dev);
// tools/capture/upload_server.py on port 80 inside namespace `ns` (see spawn_with_output for `out`).
pid_t spawn_upload_server(const std::string& ns, const std::filesystem::path& out);

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
// A loopback TCP port that was free a moment ago (bound to port 0, read, closed).
std::uint16_t free_port();
// Lines of text that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle);

}  // namespace dijk::test
