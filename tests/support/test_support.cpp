#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dijk::test {

std::string test_admin_toml(const TempDir& dir) {
  const group* g = ::getgrgid(::getegid());
  return "[admin]\nsocket = \"" + dir.file("dijkd.sock") + "\"\ncontrol_socket = \"" +
         dir.file("control.sock") + "\"\nwatch_socket = \"" + dir.file("watch.sock") + "\"\ngroup = \"" +
         (g ? g->gr_name : "root") + "\"\n[metrics]\nwatch_listen = \"127.0.0.1:0\"\n";
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dijk-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(const std::vector<std::string>& argv) {
  TempDir io;
  const std::string out_path = io.file("out"), err_path = io.file("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  return r;
}

pid_t spawn_with_output(const std::vector<std::string>& argv, const std::filesystem::path& out) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string o = out.string();
    if (!std::freopen(o.c_str(), "w", stdout) || !std::freopen((o + ".err").c_str(), "w", stderr))
      ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::string link_up_without_offloads(const std::string& ns, const std::string& dev) {
  return "ip -n " + ns + " link set " + dev + " mtu 1500 up;" + "ip netns exec " + ns + " ethtool -K " + dev +
         " tso off gso off gro off tx off rx off >/dev/null 2>&1 || true;";
}

pid_t spawn_upload_server(const std::string& ns, const std::filesystem::path& out) {
  const pid_t pid =
      spawn_with_output({"ip", "netns", "exec", ns, "python3",
                         std::string(DIJK_SOURCE_DIR) + "/tools/capture/upload_server.py", "--port", "80"},
                        out);
  // Return once it listens: on a loaded machine Python takes seconds to start, and a first upload refused
  // meanwhile would leave curl's error text in what a test compares (up to 20 s, then let the test fail).
  const std::string listening = "ip netns exec " + ns + " ss -Hltn 'sport = :80' | grep -q .";
  for (int i = 0; i < 200 && std::system(listening.c_str()) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return pid;
}

int stop_process(pid_t& pid, std::chrono::milliseconds patience) {
  ::kill(pid, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  pid = -1;
  return status;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace dijk::test
