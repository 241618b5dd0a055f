// The real dijk-check daemon for integration tests: a temporary directory with a set built from
// tests/data (one listed JPEG by MD5, one listed PDQ hash), a unix socket, a TCP port with a bearer token,
// a journal, and curl as the client. Tests that need more ([icap], TLS) pass extra config text.
#pragma once

#include <curl/curl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/journal/journal_reader.h"
#include "hashcore/digest/streaming_digests.h"
#include "tests/integration/dijkd/dijkd_harness.h"
#include "tests/support/test_support.h"

namespace dijk::test::check {

using nlohmann::json;

inline const fs::path kImages = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
inline const fs::path kListed = kImages / "bridge-mods__aaa-orig.jpg";
inline const fs::path kUnlisted = kImages / "labelme-subset__q1050.jpg";
inline constexpr const char* kToken = "test-token-0123456789abcdef";

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string md5_hex(const std::string& bytes) {
  const auto d = digest_buffer(AlgorithmSet{}.add(Algorithm::md5),
                               {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  const Digest& m = d.get(Algorithm::md5);
  return to_hex({m.bytes.data(), m.size()});
}

struct Reply {
  long status = 0;
  std::string body;
  json doc() const { return json::parse(body, nullptr, false); }
};

inline std::size_t collect(char* p, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

class CheckDaemon {
 public:
  // `extra_config` is appended to the generated dijk.toml, so a test can add sections ([icap], TLS keys,
  // ...).
  explicit CheckDaemon(const std::string& name = "main", unsigned rate_per_client = 100000,
                       const std::string& extra_config = "") {
    dir_ = fs::temp_directory_path() / ("dijk-check-it-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    listed_md5_ = md5_hex(read_file(kListed));
    write_set(dir_ / "current.set", {listed_md5_}, {{first_word(kPdqData / "harbour.pdq"), 100}});
    std::ofstream(dir_ / "token") << kToken << "\n";
    // A port picked free can be taken before the daemon binds it (another test's outgoing connection):
    // the daemon then exits at once, and is started again on other ports.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_port();
      metrics_port_ = free_port();
      std::ofstream(dir_ / "dijk.toml", std::ios::trunc)
          << "appliance_id = \"check-it\"\n"
          << "[admin]\ncheck_socket = \"" << admin_socket().string() << "\"\ngroup = \""
          << ::getgrgid(::getegid())->gr_name << "\"\n"
          << "[paths]\nset = \"" << (dir_ / "current.set").string() << "\"\n"
          << "state = \"" << (dir_ / "state").string() << "\"\n"
          << "[check_api]\nsocket = \"" << socket().string() << "\"\n"
          << "socket_group = \"\"\n"
          << "listen = \"127.0.0.1:" << port_ << "\"\n"
          << "tokens = [{ name = \"web\", token_file = \"" << (dir_ / "token").string() << "\" }]\n"
          << "max_body_mb = 2\nrate_per_client = " << rate_per_client << "\nheader_timeout_s = 2\n"
          << "journal = \"" << journal().string() << "\"\n"
          << "metrics_listen = \"127.0.0.1:" << metrics_port_ << "\"\n"
          << extra_config;
      pid_ = ::fork();
      if (pid_ == 0) {
        const std::string config = (dir_ / "dijk.toml").string();
        ::execl(DIJK_CHECK_BIN, DIJK_CHECK_BIN, "--config", config.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
      for (int i = 0; i < 600 && get("/v1/health").status != 200; ++i) {
        if (!alive()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (pid_ < 0 && attempt < 2) continue;  // it exited (alive() reaped it): other ports
      break;
    }
  }
  ~CheckDaemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    fs::remove_all(dir_);
  }

  const fs::path& dir() const { return dir_; }
  fs::path socket() const { return dir_ / "check.sock"; }
  fs::path admin_socket() const { return dir_ / "admin.sock"; }
  fs::path journal() const { return dir_ / "journal-api"; }
  const std::string& listed_md5() const { return listed_md5_; }
  std::uint16_t port() const { return port_; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  // False once the daemon has exited (then reaped, and pid_ is -1).
  bool alive() {
    if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) != 0) pid_ = -1;
    return pid_ > 0;
  }
  // As `systemctl reload dijk-check` does.
  void reload() const { ::kill(pid_, SIGHUP); }

  // Over the unix socket unless `tcp_token` is given (then TCP with that bearer token; "" for none).
  Reply request(const std::string& method, const std::string& path, const std::string& body = "",
                std::vector<std::string> headers = {}, const std::string* tcp_token = nullptr) const {
    Reply r;
    CURL* c = curl_easy_init();
    if (tcp_token == nullptr) {
      curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket().c_str());
      curl_easy_setopt(c, CURLOPT_URL, ("http://localhost" + path).c_str());
    } else {
      curl_easy_setopt(c, CURLOPT_URL, ("http://127.0.0.1:" + std::to_string(port_) + path).c_str());
      if (!tcp_token->empty()) headers.push_back("Authorization: Bearer " + *tcp_token);
    }
    curl_slist* list = nullptr;
    // No "Expect: 100-continue" round trip unless a test asks for it.
    if (std::none_of(headers.begin(), headers.end(),
                     [](const std::string& h) { return h.rfind("Expect", 0) == 0; })) {
      headers.push_back("Expect:");
    }
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r;
  }
  Reply get(const std::string& path) const { return request("GET", path); }

 private:
  fs::path dir_;
  std::string listed_md5_;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  pid_t pid_ = -1;
};

inline std::vector<journal::JournalEntry> journal_entries(const fs::path& dir) {
  std::vector<journal::JournalEntry> out;
  journal::JournalReader reader(dir);
  while (auto e = reader.next()) out.push_back(std::move(*e));
  return out;
}

}  // namespace dijk::test::check
