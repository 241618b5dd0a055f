// The shipped nginx recipe (config/nginx/dijk-mirror.conf) end to end: a real nginx terminating TLS with
// a certificate made for the test, the real dijk-check behind its unix socket, the capture upload server
// as the application, and libcurl uploading over HTTPS with the certificate pinned. Only the recipe's
// addresses, paths and certificate are substituted, so what is tested is what is installed.
//
// nginx logs subrequests here (log_subrequest on, one line per request: request id, URI, status). A
// mirror's line is written once nginx has dijk-check's answer, and dijk-check makes a hit durable before
// it answers, so once that line is there the journal says all it will about the upload: absence of a hit
// is checked without waiting for a fixed time.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/check/check_daemon.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

using namespace dijk::test::check;
using Clock = std::chrono::steady_clock;

const fs::path kRecipe = fs::path(DIJK_SOURCE_DIR) / "config/nginx/dijk-mirror.conf";
const fs::path kUploadServer = fs::path(DIJK_SOURCE_DIR) / "tools/capture/upload_server.py";
// Generous: these bound a wait for something that should happen, they are not what a test measures.
constexpr auto kDeadline = std::chrono::seconds(30);

bool can_connect(std::uint16_t port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

void wait_until_listening(std::uint16_t port, const std::string& what) {
  const auto deadline = Clock::now() + kDeadline;
  while (!can_connect(port)) {
    if (Clock::now() > deadline)
      throw std::runtime_error(what + " is not listening on " + std::to_string(port));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// One substitution in the recipe: the shipped text and what this machine needs instead.
struct Substitution {
  std::string shipped;
  std::string here;
};

// The recipe with every substitution made. A shipped text that is no longer in the recipe throws, so a
// recipe that drifts from what the test expects fails here rather than testing something else.
std::string render_recipe(const std::vector<Substitution>& subs) {
  std::string text = read_file(kRecipe);
  for (const auto& s : subs) {
    std::size_t at = text.find(s.shipped);
    if (at == std::string::npos) throw std::runtime_error("recipe no longer holds \"" + s.shipped + "\"");
    for (; at != std::string::npos; at = text.find(s.shipped, at + s.here.size())) {
      text.replace(at, s.shipped.size(), s.here);
    }
  }
  return text;
}

// A self-signed certificate for 127.0.0.1; the client pins it as its only CA.
class SelfSignedCert {
 public:
  explicit SelfSignedCert(const fs::path& dir) : cert_(dir / "cert.pem"), key_(dir / "key.pem") {
    const CommandResult r =
        run_command({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                     "subjectAltName=IP:127.0.0.1", "-keyout", key_.string(), "-out", cert_.string()});
    if (r.status != 0) throw std::runtime_error("openssl req failed: " + r.err);
  }
  const fs::path& cert() const { return cert_; }
  const fs::path& key() const { return key_; }

 private:
  fs::path cert_, key_;
};

// The application behind nginx: stores nothing, answers 201 "stored N bytes".
class UploadOrigin {
 public:
  explicit UploadOrigin(const fs::path& dir) : port_(free_port()) {
    pid_ = spawn_with_output(
        {"python3", kUploadServer.string(), "--bind", "127.0.0.1", "--port", std::to_string(port_)},
        dir / "origin.out");
    wait_until_listening(port_, "the upload origin");
  }
  ~UploadOrigin() {
    if (pid_ > 0) stop_process(pid_, std::chrono::seconds(5));
  }
  UploadOrigin(const UploadOrigin&) = delete;
  UploadOrigin& operator=(const UploadOrigin&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// nginx running the recipe, everything it writes in `dir`, as whoever runs the test (one process, no
// user switch), listening on a free loopback port.
class MirrorNginx {
 public:
  MirrorNginx(const fs::path& dir, const SelfSignedCert& cert, std::uint16_t origin_port,
              const fs::path& check_socket)
      : dir_(dir / "nginx"), port_(free_port()) {
    for (const char* sub : {"logs", "body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      fs::create_directories(dir_ / sub);
    }
    write_text(
        (dir_ / "dijk-mirror.conf").string(),
        render_recipe({{"listen 443 ", "listen 127.0.0.1:" + std::to_string(port_) + " "},
                       {"/etc/ssl/dijk/uploads.pem", cert.cert().string()},
                       {"/etc/ssl/dijk/uploads.key", cert.key().string()},
                       {"server 127.0.0.1:8080;", "server 127.0.0.1:" + std::to_string(origin_port) + ";"},
                       {"/run/dijk-check/check.sock", check_socket.string()}}));
    std::ostringstream conf;
    conf << "master_process off;\nworker_processes 1;\npid " << (dir_ / "nginx.pid").string() << ";\n"
         << "error_log " << error_log().string() << " info;\n"
         << "events { worker_connections 256; }\n"
         << "http {\n"
         << "  log_format mirror '$request_id $uri $status';\n"
         << "  log_subrequest on;\n"
         << "  access_log " << access_log().string() << " mirror;\n";
    for (const char* sub : {"body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      conf << "  " << (std::string(sub) == "body" ? "client_body" : sub) << "_temp_path "
           << (dir_ / sub).string() << ";\n";
    }
    conf << "  include " << (dir_ / "dijk-mirror.conf").string() << ";\n}\n";
    write_text((dir_ / "nginx.conf").string(), conf.str());

    const CommandResult syntax = run_command({"/usr/sbin/nginx", "-t", "-q", "-p", dir_.string(), "-c",
                                              (dir_ / "nginx.conf").string(), "-e", error_log().string()});
    if (syntax.status != 0) {
      throw std::runtime_error("nginx -t refused the recipe: " + syntax.err +
                               read_text(error_log().string()));
    }
    pid_ = spawn_with_output({"/usr/sbin/nginx", "-p", dir_.string(), "-c", (dir_ / "nginx.conf").string(),
                              "-e", error_log().string(), "-g", "daemon off;"},
                             dir_ / "logs/nginx.out");
    wait_until_listening(port_, "nginx");
  }
  ~MirrorNginx() {
    if (pid_ > 0) stop_process(pid_, std::chrono::seconds(10));
  }
  MirrorNginx(const MirrorNginx&) = delete;
  MirrorNginx& operator=(const MirrorNginx&) = delete;

  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  fs::path access_log() const { return dir_ / "logs/access.log"; }
  fs::path error_log() const { return dir_ / "logs/error.log"; }

  // The status nginx logged for the mirror of request `id`, if the mirror has finished.
  std::optional<std::string> mirror_status(const std::string& id) const {
    const auto lines = lines_with(read_text(access_log().string()), id + " /dijk-check ");
    if (lines.empty()) return std::nullopt;
    return lines.front().substr(lines.front().rfind(' ') + 1);
  }
  // Waits for the mirror of request `id` to finish and returns its status ("" if it never did).
  std::string await_mirror(const std::string& id) const {
    const auto deadline = Clock::now() + kDeadline;
    for (;;) {
      if (auto s = mirror_status(id)) return *s;
      if (Clock::now() > deadline) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  fs::path dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

struct Upload {
  long status = 0;
  std::string body;
  std::string request_id;  // nginx's X-Request-Id: the upload id dijk-check journals
  std::string error;
};

std::size_t collect_request_id(char* p, std::size_t size, std::size_t n, void* out) {
  const std::string line(p, size * n);
  constexpr std::string_view kName = "x-request-id:";
  if (line.size() > kName.size()) {
    std::string lower = line.substr(0, kName.size());
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == kName) {
      std::string v = line.substr(kName.size());
      v.erase(0, v.find_first_not_of(' '));
      v.erase(v.find_last_not_of("\r\n ") + 1);
      *static_cast<std::string*>(out) = v;
    }
  }
  return size * n;
}

enum class Http { v1_1, v2 };

// An upload over HTTPS to nginx, trusting only the test's certificate.
Upload upload(const std::string& url, const SelfSignedCert& cert, const std::string& method,
              const std::string& body, const std::string& content_type, Http version = Http::v1_1) {
  Upload u;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, cert.cert().c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
                   version == Http::v2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Cookie: session=not-for-dijk");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &u.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &collect_request_id);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &u.request_id);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u.status);
  } else {
    u.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return u;
}

std::string multipart_with(const std::string& file, const std::string& boundary) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n--" +
         boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"beach.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n" +
         file + "\r\n--" + boundary + "--\r\n";
}

std::string stored(std::size_t n) {
  return "stored " + std::to_string(n) + " bytes\n";
}

std::vector<journal::JournalEntry> hits_for(const fs::path& journal, const std::string& upload_id) {
  std::vector<journal::JournalEntry> out;
  for (auto& e : journal_entries(journal)) {
    if (e.record.hit.upload_id == upload_id) out.push_back(std::move(e));
  }
  return out;
}

// Polls the journal for the hit of `upload_id` until the deadline.
std::vector<journal::JournalEntry> await_hits(const fs::path& journal, const std::string& upload_id) {
  const auto deadline = Clock::now() + kDeadline;
  for (;;) {
    auto hits = hits_for(journal, upload_id);
    if (!hits.empty() || Clock::now() > deadline) return hits;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class NginxMirror : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    cert_ = new SelfSignedCert(dir_->path());
    origin_ = new UploadOrigin(dir_->path());
    check_ = new CheckDaemon("nginx-mirror");
    nginx_ = new MirrorNginx(dir_->path(), *cert_, origin_->port(), check_->socket());
  }
  static void TearDownTestSuite() {
    delete nginx_;
    delete check_;
    delete origin_;
    delete cert_;
    delete dir_;
  }

  // A listed upload reached the origin unchanged and its hit is in dijk-check's journal.
  static void expect_reported(const Upload& u, std::size_t body_size) {
    ASSERT_EQ(u.status, 201) << u.error << u.body;
    EXPECT_EQ(u.body, stored(body_size)) << "the origin answers as without the mirror";
    ASSERT_EQ(u.request_id.size(), 32u) << "the recipe sends nginx's request id to the client";
    const auto hits = await_hits(check_->journal(), u.request_id);
    ASSERT_EQ(hits.size(), 1u) << "no hit for upload " << u.request_id << "; mirror status "
                               << nginx_->mirror_status(u.request_id).value_or("(none)") << "\n"
                               << read_text(nginx_->error_log().string());
    const auto& hit = hits[0].record.hit;
    EXPECT_EQ(hit.source, HitSource::api);
    EXPECT_EQ(hit.client_ip, "127.0.0.1");
    EXPECT_EQ(hit.customer, "127.0.0.1");  // $host: the name the client asked for, without the port
    EXPECT_EQ(hit.hash, check_->listed_md5());
    EXPECT_EQ(hit.action, "block");  // what the policy says; nginx cannot act on it
  }

  static TempDir* dir_;
  static SelfSignedCert* cert_;
  static UploadOrigin* origin_;
  static CheckDaemon* check_;
  static MirrorNginx* nginx_;
};
TempDir* NginxMirror::dir_ = nullptr;
SelfSignedCert* NginxMirror::cert_ = nullptr;
UploadOrigin* NginxMirror::origin_ = nullptr;
CheckDaemon* NginxMirror::check_ = nullptr;
MirrorNginx* NginxMirror::nginx_ = nullptr;

TEST_F(NginxMirror, ListedRawUploadIsStoredAndReported) {
  const std::string file = read_file(kListed);
  const Upload u = upload(nginx_->url("/upload/beach.jpg"), *cert_, "PUT", file, "image/jpeg");
  expect_reported(u, file.size());
}

TEST_F(NginxMirror, ListedMultipartUploadIsSplitStoredAndReported) {
  const std::string body = multipart_with(read_file(kListed), "x9Bound");
  const Upload u =
      upload(nginx_->url("/upload?album=7"), *cert_, "POST", body, "multipart/form-data; boundary=x9Bound");
  expect_reported(u, body.size());
}

TEST_F(NginxMirror, ListedUploadOverHttp2IsReported) {
  const std::string file = read_file(kListed);
  const Upload u = upload(nginx_->url("/upload/beach.jpg"), *cert_, "POST", file, "image/jpeg", Http::v2);
  expect_reported(u, file.size());
}

TEST_F(NginxMirror, UnlistedUploadIsStoredAndNotJournalled) {
  const std::string file = read_file(kUnlisted);
  const Upload u = upload(nginx_->url("/upload/street.jpg"), *cert_, "POST", file, "image/jpeg");
  ASSERT_EQ(u.status, 201) << u.error << u.body;
  EXPECT_EQ(u.body, stored(file.size()));
  // dijk-check answered the mirror (so it had checked the file) and journalled nothing for it.
  EXPECT_EQ(nginx_->await_mirror(u.request_id), "200") << read_text(nginx_->error_log().string());
  EXPECT_TRUE(hits_for(check_->journal(), u.request_id).empty());
}

// A GET on an upload location carries no file: the recipe answers its mirror itself (204), dijk-check is
// not asked.
TEST_F(NginxMirror, DownloadsAreNotChecked) {
  const Upload u = upload(nginx_->url("/upload/beach.jpg"), *cert_, "GET", "", "text/plain");
  ASSERT_EQ(u.status, 200) << u.error << u.body;
  EXPECT_EQ(u.body, "ok\n");
  EXPECT_EQ(nginx_->await_mirror(u.request_id), "204");
  EXPECT_TRUE(hits_for(check_->journal(), u.request_id).empty());
}

// dijk-check stopped: the upload is stored all the same (fail open), the failed check is in nginx's log.
TEST(NginxMirrorFailOpen, UploadSucceedsWhileDijkCheckIsDown) {
  TempDir dir;
  const SelfSignedCert cert(dir.path());
  const UploadOrigin origin(dir.path());
  auto check = std::make_unique<CheckDaemon>("nginx-mirror-down");
  const MirrorNginx nginx(dir.path(), cert, origin.port(), check->socket());
  check.reset();

  const std::string file = read_file(kListed);
  const Upload u = upload(nginx.url("/upload/beach.jpg"), cert, "PUT", file, "image/jpeg");
  ASSERT_EQ(u.status, 201) << u.error << u.body;
  EXPECT_EQ(u.body, stored(file.size()));
  EXPECT_EQ(nginx.await_mirror(u.request_id), "502");
  EXPECT_FALSE(lines_with(read_text(nginx.error_log().string()), "subrequest: \"/dijk-check\"").empty());
}

// A stand-in for a dijk-check that has hung: it accepts on the socket and reads the request, and answers
// only when the test lets it (by closing).
class StuckCheck {
 public:
  explicit StuckCheck(const fs::path& socket) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof a.sun_path) throw std::runtime_error("socket path too long");
    std::copy(path.begin(), path.end(), a.sun_path);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~StuckCheck() {
    release();
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  StuckCheck(const StuckCheck&) = delete;
  StuckCheck& operator=(const StuckCheck&) = delete;

  bool await_request() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [this] { return requests_ > 0; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    // Read the whole request, so nginx is left waiting for an answer, not for us to read.
    char buf[65536];
    std::string got;
    while (got.find("\r\n\r\n") == std::string::npos || !body_complete(got)) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    std::unique_lock lock(mutex_);
    ++requests_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    ::close(c);
  }
  static bool body_complete(const std::string& got) {
    const std::size_t end = got.find("\r\n\r\n");
    const std::size_t at = got.find("Content-Length: ");
    if (at == std::string::npos || at > end) return true;
    return got.size() - end - 4 >= std::stoull(got.substr(at + 16));
  }

  int fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int requests_ = 0;
  bool released_ = false;
};

// The client has its answer while the check is still outstanding: nginx does not hold the upload's
// response for the mirror. (The mirror's log line is written only when the check ends, by an answer or by
// the recipe's timeouts; it must not be there yet when the client is answered.)
TEST(NginxMirrorStuckCheck, ClientIsAnsweredBeforeTheCheckEnds) {
  TempDir dir;
  const SelfSignedCert cert(dir.path());
  const UploadOrigin origin(dir.path());
  const fs::path socket = dir.path() / "stuck.sock";
  StuckCheck stuck(socket);
  const MirrorNginx nginx(dir.path(), cert, origin.port(), socket);

  const std::string file = read_file(kListed);
  const Upload u = upload(nginx.url("/upload/beach.jpg"), cert, "POST", file, "image/jpeg");
  ASSERT_EQ(u.status, 201) << u.error << u.body;
  EXPECT_EQ(u.body, stored(file.size()));
  EXPECT_FALSE(nginx.mirror_status(u.request_id).has_value())
      << "the check had ended before the client was answered:\n"
      << read_text(nginx.error_log().string());
  ASSERT_TRUE(stuck.await_request()) << "the mirror never reached the socket";
  stuck.release();  // closes without an answer
  EXPECT_EQ(nginx.await_mirror(u.request_id), "502");
}

}  // namespace
}  // namespace dijk::test
