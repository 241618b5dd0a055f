// dijk-check's ICAP service end to end: the real daemon with [icap] on a loopback port, spoken to over raw
// sockets (OPTIONS, preview, pipelining, hostile framing) and through a real Squid from Debian that a
// client uploads through, with a real origin behind it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <cstdio>
#include <optional>

#include "tests/integration/check/check_daemon.h"
#include "tests/support/base64_text.h"

namespace dijk::test {
namespace {

using namespace dijk::test::check;

// One ICAP response as the client sees it: status, ICAP head, the encapsulated HTTP head and body.
struct IcapReply {
  int status = 0;  // 0: the connection closed (or stalled) before a whole response
  std::string head;
  std::string http_head;
  std::string body;

  std::optional<std::string> header(const std::string& name) const {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
      const std::size_t end = head.find("\r\n", pos + 2);
      const std::string line = head.substr(pos + 2, end - pos - 2);
      if (line.size() > name.size() && line[name.size()] == ':' &&
          std::equal(name.begin(), name.end(), line.begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        const std::size_t v = line.find_first_not_of(' ', name.size() + 1);
        return v == std::string::npos ? std::string() : line.substr(v);
      }
      pos = end;
    }
    return std::nullopt;
  }
};

// A blocking client connection with a receive timeout, so a test fails instead of hanging.
class IcapConnection {
 public:
  explicit IcapConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~IcapConnection() { ::close(fd_); }
  IcapConnection(const IcapConnection&) = delete;
  IcapConnection& operator=(const IcapConnection&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  IcapReply read_reply() {
    IcapReply r;
    const std::size_t head_end = until("\r\n\r\n");
    if (head_end == std::string::npos) return r;
    r.head = take(head_end + 4);
    r.status = std::atoi(r.head.substr(9, 3).c_str());
    if (r.status == 100) return r;
    const std::string enc = r.header("Encapsulated").value_or("null-body=0");
    const std::size_t body_at = offset_of(enc, "-body=");
    if (!fill(body_at)) return IcapReply{};
    r.http_head = take(body_at);
    if (enc.find("null-body") != std::string::npos) return r;
    // The chunked body: size lines, data, up to the last chunk.
    for (;;) {
      const std::size_t line_end = until("\r\n");
      if (line_end == std::string::npos) return IcapReply{};
      const std::size_t size = std::strtoul(take(line_end + 2).c_str(), nullptr, 16);
      if (!fill(size + 2)) return IcapReply{};
      r.body += take(size + 2).substr(0, size);
      if (size == 0) return r;
    }
  }

  // True when the server has closed the connection (read returns 0 with nothing pending).
  bool closed_by_server() {
    char c;
    return buffer_.empty() && ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  static std::size_t offset_of(const std::string& enc, const std::string& key) {
    const std::size_t k = enc.find(key);
    return k == std::string::npos ? 0 : std::strtoul(enc.c_str() + k + key.size(), nullptr, 10);
  }
  bool read_more() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  std::size_t until(const std::string& marker) {
    for (;;) {
      const std::size_t p = buffer_.find(marker);
      if (p != std::string::npos) return p;
      if (!read_more()) return std::string::npos;
    }
  }
  bool fill(std::size_t n) {
    while (buffer_.size() < n) {
      if (!read_more()) return false;
    }
    return true;
  }
  std::string take(std::size_t n) {
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string chunked(const std::string& body, std::size_t chunk = 8192) {
  std::string out;
  for (std::size_t off = 0; off < body.size(); off += chunk) {
    const std::size_t n = std::min(chunk, body.size() - off);
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    out += size + body.substr(off, n) + "\r\n";
  }
  return out;
}

std::string http_post(const std::string& body, const std::string& content_type = "image/jpeg",
                      const std::string& method = "POST") {
  return method + " http://uploads.example/photos/new HTTP/1.1\r\nHost: uploads.example\r\nContent-Type: " +
         content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
}

struct Reqmod {
  std::string http_head;
  std::string body;
  bool allow_204 = true;
  std::optional<std::size_t> preview;  // bytes of body sent as preview
  std::string service = "reqmod";
  std::string method = "REQMOD";
  std::string client_ip = "192.0.2.44";

  std::string icap_head() const {
    std::string h = method + " icap://127.0.0.1/" + service + " ICAP/1.0\r\nHost: 127.0.0.1\r\n";
    if (allow_204) h += "Allow: 204\r\n";
    if (!client_ip.empty()) h += "X-Client-IP: " + client_ip + "\r\n";
    if (preview) h += "Preview: " + std::to_string(*preview) + "\r\n";
    const std::string size = std::to_string(http_head.size());
    h += body.empty() && !preview ? "Encapsulated: req-hdr=0, null-body=" + size + "\r\n\r\n"
                                  : "Encapsulated: req-hdr=0, req-body=" + size + "\r\n\r\n";
    return h + http_head;
  }
  // The whole request without preview.
  std::string whole() const { return icap_head() + (body.empty() ? "" : chunked(body) + "0\r\n\r\n"); }
  // Head and preview; `rest()` is what follows a 100 Continue.
  std::string with_preview() const {
    const std::size_t n = std::min(*preview, body.size());
    const bool all = n == body.size();
    return icap_head() + chunked(body.substr(0, n)) + (all ? "0; ieof\r\n\r\n" : "0\r\n\r\n");
  }
  std::string rest() const { return chunked(body.substr(*preview)) + "0\r\n\r\n"; }
};

std::string options_request(const std::string& service = "reqmod") {
  return "OPTIONS icap://127.0.0.1/" + service +
         " ICAP/1.0\r\nHost: 127.0.0.1\r\nEncapsulated: null-body=0\r\n\r\n";
}

std::string icap_config(std::uint16_t port) {
  return "[icap]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\npreview_bytes = 1024\n";
}

// The daemon's journal entries with this client IP (each test uses its own).
std::vector<journal::JournalEntry> hits_from(const CheckDaemon& d, const std::string& client_ip) {
  std::vector<journal::JournalEntry> out;
  for (auto& e : journal_entries(d.journal())) {
    if (e.record.hit.client_ip == client_ip) out.push_back(std::move(e));
  }
  return out;
}

// A connection the ICAP listener accepts (dijk-check starts it before it answers /v1/health).
bool accepts(std::uint16_t port) {
  IcapConnection c(port);
  return c.connected();
}

bool wait_until_accepting(std::uint16_t port) {
  for (int i = 0; i < 400; ++i) {
    if (accepts(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class Icap : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    daemon_ = new CheckDaemon("icap", 100000, icap_config(port_));
    EXPECT_TRUE(wait_until_accepting(port_)) << "the ICAP listener never came up";
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static std::string listed() { return read_file(kListed); }
  static std::string unlisted() { return read_file(kUnlisted); }

  static CheckDaemon* daemon_;
  static std::uint16_t port_;
};
CheckDaemon* Icap::daemon_ = nullptr;
std::uint16_t Icap::port_ = 0;

TEST_F(Icap, OptionsAdvertisePreviewAllow204AndTheSetVersion) {
  IcapConnection c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(options_request()));
  const IcapReply r = c.read_reply();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.header("Methods"), "REQMOD");
  EXPECT_EQ(r.header("Allow"), "204");
  EXPECT_EQ(r.header("Preview"), "1024");
  EXPECT_EQ(r.header("ISTag"), "\"dijk-set-1\"");
}

TEST_F(Icap, ListedUploadIsAnsweredWithA403PageAndJournalledWithSourceIcap) {
  Reqmod m;
  m.body = listed();
  m.http_head = http_post(m.body);
  m.client_ip = "192.0.2.101";
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.whole()));
  const IcapReply r = c.read_reply();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.http_head.rfind("HTTP/1.1 403 ", 0), 0u) << r.http_head;
  EXPECT_NE(r.body.find("Upload refused"), std::string::npos) << r.body;

  const auto hits = hits_from(*daemon_, "192.0.2.101");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record.hit.source, HitSource::icap);
  EXPECT_EQ(hits[0].record.hit.host, "uploads.example");
}

TEST_F(Icap, UnlistedUploadGets204WithoutTheBody) {
  Reqmod m;
  m.body = unlisted();
  m.http_head = http_post(m.body);
  m.client_ip = "192.0.2.102";
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.whole()));
  const IcapReply r = c.read_reply();
  EXPECT_EQ(r.status, 204) << r.head;
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(hits_from(*daemon_, "192.0.2.102").empty());
}

TEST_F(Icap, MultipartUploadIsSplitAsOnTheWire) {
  const std::string boundary = "----dijkboundary7";
  Reqmod m;
  m.body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n--" +
           boundary +
           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
           "Content-Type: image/jpeg\r\n\r\n" +
           listed() + "\r\n--" + boundary + "--\r\n";
  m.http_head = http_post(m.body, "multipart/form-data; boundary=" + boundary);
  m.client_ip = "192.0.2.103";
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.whole()));
  EXPECT_EQ(c.read_reply().http_head.rfind("HTTP/1.1 403 ", 0), 0u);
  const auto hits = hits_from(*daemon_, "192.0.2.103");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record.hit.filename, "a.jpg");
}

TEST_F(Icap, Base64ImageInJsonIsDecodedAsOnTheWire) {
  const std::string image = listed();
  Reqmod m;
  m.body = R"({"title": "holiday", "photo": "data:image/jpeg;base64,)" +
           base64_text({reinterpret_cast<const std::uint8_t*>(image.data()), image.size()},
                       {.wrap = 76, .newline = "\\n"}) +
           R"("})";
  m.http_head = http_post(m.body, "application/json");
  m.client_ip = "192.0.2.110";
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.whole()));
  EXPECT_EQ(c.read_reply().http_head.rfind("HTTP/1.1 403 ", 0), 0u);
  const auto hits = hits_from(*daemon_, "192.0.2.110");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record.hit.filename, "photo");
}

TEST_F(Icap, PreviewAsksForTheRestOfAnUploadThenBlocks) {
  Reqmod m;
  m.body = listed();
  m.http_head = http_post(m.body);
  m.preview = 1024;
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.with_preview()));
  ASSERT_EQ(c.read_reply().status, 100);
  ASSERT_TRUE(c.send(m.rest()));
  const IcapReply r = c.read_reply();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.http_head.rfind("HTTP/1.1 403 ", 0), 0u);
}

TEST_F(Icap, PreviewWithIeofIsAnsweredWithoutContinue) {
  // The whole (small, unlisted) body fits the preview: the answer comes at once.
  Reqmod m;
  m.body = std::string(300, 'x');
  m.http_head = http_post(m.body, "application/octet-stream");
  m.preview = 1024;
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.with_preview()));
  EXPECT_EQ(c.read_reply().status, 204);
  // The connection is still in step: the next request is answered.
  ASSERT_TRUE(c.send(options_request()));
  EXPECT_EQ(c.read_reply().status, 200);
}

TEST_F(Icap, RequestWithoutAnUploadIsAnsweredOnItsPreview) {
  // A GET that carries a body: not an upload, so the preview's end is answered and the rest never sent.
  Reqmod m;
  m.http_head =
      "GET http://uploads.example/photos/1 HTTP/1.1\r\nHost: uploads.example\r\nContent-Length: 10\r\n\r\n";
  m.body = "0123456789";
  m.preview = 0;
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.with_preview()));
  EXPECT_EQ(c.read_reply().status, 204);
  ASSERT_TRUE(c.send(options_request()));  // still in step
  EXPECT_EQ(c.read_reply().status, 200);
}

TEST_F(Icap, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  Reqmod clean, hit;
  clean.body = unlisted();
  clean.http_head = http_post(clean.body);
  hit.body = listed();
  hit.http_head = http_post(hit.body, "image/jpeg", "PUT");
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(clean.whole() + hit.whole() + options_request() + clean.whole()));
  EXPECT_EQ(c.read_reply().status, 204);
  const IcapReply blocked = c.read_reply();
  EXPECT_EQ(blocked.status, 200);
  EXPECT_EQ(blocked.http_head.rfind("HTTP/1.1 403 ", 0), 0u);
  EXPECT_EQ(c.read_reply().status, 200);
  EXPECT_EQ(c.read_reply().status, 204);
}

TEST_F(Icap, WithoutAllow204TheRequestIsEchoedUnchanged) {
  Reqmod m;
  m.body = unlisted();
  m.http_head = http_post(m.body);
  m.allow_204 = false;
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(m.whole()));
  const IcapReply r = c.read_reply();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.http_head, m.http_head);
  EXPECT_TRUE(r.body == m.body) << "echoed body differs, " << r.body.size() << " bytes";
}

TEST_F(Icap, UnknownServiceIs404AndRespmodIs405) {
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(options_request("avscan")));
  EXPECT_EQ(c.read_reply().status, 404);
  Reqmod m;
  m.method = "RESPMOD";
  m.http_head = http_post("");
  ASSERT_TRUE(c.send(m.whole()));
  EXPECT_EQ(c.read_reply().status, 405);
}

TEST_F(Icap, MalformedFramingGets400AndACloseWhileTheServiceStaysUp) {
  const std::vector<std::string> hostile = {
      "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=zz\r\n\r\n",
      "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nEncapsulated: req-hdr=0, req-body=18\r\n\r\n"
      "POST / HTTP/1.1\r\n\r\nqq\r\nabc\r\n0\r\n\r\n",
      "REQMOD icap://127.0.0.1/reqmod HTTP/1.1\r\n\r\n",
      std::string("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nX: \0\r\n\r\n", 50),
      "GARBAGE\r\n\r\n",
  };
  for (const auto& bytes : hostile) {
    IcapConnection c(port_);
    ASSERT_TRUE(c.send(bytes));
    const IcapReply r = c.read_reply();
    EXPECT_EQ(r.status, 400) << bytes;
    EXPECT_TRUE(c.closed_by_server()) << bytes;
  }
  // An endless header line is refused too, not buffered without bound.
  {
    IcapConnection c(port_);
    c.send("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nX-Long: " + std::string(1 << 20, 'a'));
    EXPECT_EQ(c.read_reply().status, 400);
  }
  IcapConnection c(port_);
  ASSERT_TRUE(c.send(options_request()));
  EXPECT_EQ(c.read_reply().status, 200);
  EXPECT_TRUE(daemon_->alive());
}

TEST(IcapSet, IstagFollowsTheSetVersion) {
  const std::uint16_t port = free_port();
  CheckDaemon daemon("icap-istag", 100000, icap_config(port));
  ASSERT_TRUE(wait_until_accepting(port));
  auto istag = [&] {
    IcapConnection c(port);
    c.send(options_request());
    return c.read_reply().header("ISTag").value_or("");
  };
  ASSERT_EQ(istag(), "\"dijk-set-1\"");
  install_set(daemon.dir() / "current.set", {daemon.listed_md5()}, {}, 2);
  std::string tag;
  for (int i = 0; i < 200 && (tag = istag()) != "\"dijk-set-2\""; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(tag, "\"dijk-set-2\"");
}

// --- Through Squid -------------------------------------------------------------------------------------

// Squid from Debian, configured as a provider would (docs/icap.md): every request goes through dijk's
// REQMOD service, bypass=0 so an upload is never let through unchecked.
class SquidProxy {
 public:
  SquidProxy(const fs::path& dir, std::uint16_t icap_port) : dir_(dir) {
    fs::create_directories(dir_);
    // Squid drops root for the "proxy" user, which must write its logs here.
    ::chmod(dir_.c_str(), 0777);
    port_ = free_port();
    std::ofstream(dir_ / "squid.conf")
        << "http_port 127.0.0.1:" << port_ << "\n"
        << "visible_hostname dijk-test\n"
        << "pid_filename " << (dir_ / "squid.pid").string() << "\n"
        << "cache_log " << (dir_ / "cache.log").string() << "\n"
        << "access_log " << (dir_ / "access.log").string() << "\n"
        << "cache deny all\n"
        << "shutdown_lifetime 0 seconds\n"
        << "http_access allow localhost\n"
        << "http_access deny all\n"
        << "icap_enable on\n"
        << "icap_send_client_ip on\n"
        << "icap_service dijk reqmod_precache bypass=0 icap://127.0.0.1:" << icap_port << "/reqmod\n"
        << "adaptation_access dijk allow all\n";
    pid_ = spawn_with_output({"/usr/sbin/squid", "-N", "-f", (dir_ / "squid.conf").string()},
                             dir_ / "squid.out");
  }
  ~SquidProxy() {
    if (pid_ > 0) stop_process(pid_, std::chrono::seconds(10));
  }
  std::uint16_t port() const { return port_; }
  std::string log() const { return read_text((dir_ / "cache.log").string()); }

 private:
  fs::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

struct Upload {
  long status = 0;
  std::string body;
};

Upload upload_through(std::uint16_t proxy, std::uint16_t origin, const std::string& body,
                      const std::string& content_type) {
  Upload u;
  CURL* c = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(origin) + "/upload";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROXY, ("http://127.0.0.1:" + std::to_string(proxy)).c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &u.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return u;
}

TEST(IcapThroughSquid, ListedUploadIsStoppedAndAnUnlistedOneReachesTheOrigin) {
  const std::uint16_t icap_port = free_port();
  CheckDaemon daemon("icap-squid", 100000, icap_config(icap_port));
  ASSERT_TRUE(wait_until_accepting(icap_port));
  const fs::path dir = daemon.dir() / "squid";
  SquidProxy squid(dir, icap_port);
  const std::uint16_t origin_port = free_port();
  pid_t origin =
      spawn_with_output({"python3", std::string(DIJK_SOURCE_DIR) + "/tools/capture/upload_server.py",
                         "--bind", "127.0.0.1", "--port", std::to_string(origin_port)},
                        daemon.dir() / "origin.out");
  ASSERT_TRUE(wait_until_accepting(origin_port));
  ASSERT_TRUE(wait_until_accepting(squid.port())) << squid.log();

  const Upload blocked = upload_through(squid.port(), origin_port, read_file(kListed), "image/jpeg");
  EXPECT_EQ(blocked.status, 403) << squid.log();
  EXPECT_NE(blocked.body.find("Upload refused"), std::string::npos) << blocked.body;

  const std::string clean = read_file(kUnlisted);
  const Upload stored = upload_through(squid.port(), origin_port, clean, "image/jpeg");
  EXPECT_EQ(stored.status, 201) << squid.log();
  EXPECT_EQ(stored.body, "stored " + std::to_string(clean.size()) + " bytes\n");  // whole, unchanged
  stop_process(origin, std::chrono::seconds(5));

  // One hit, journalled before the 403 went out, with Squid's client address.
  const auto entries = journal_entries(daemon.journal());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].record.hit.source, HitSource::icap);
  EXPECT_EQ(entries[0].record.hit.client_ip, "127.0.0.1");
  EXPECT_EQ(entries[0].record.hit.algorithm, "md5");
  EXPECT_EQ(entries[0].record.hit.hash, daemon.listed_md5());
  EXPECT_EQ(entries[0].record.hit.method, "POST");
}

}  // namespace
}  // namespace dijk::test
