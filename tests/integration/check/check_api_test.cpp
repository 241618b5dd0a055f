// dijk-check end to end: the real daemon on a temporary unix socket and TCP port, a set built from
// tests/data (one listed JPEG by MD5, one listed PDQ hash), and curl as the client.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
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

namespace dijk::test {
namespace {

using nlohmann::json;
const fs::path kImages = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
const fs::path kListed = kImages / "bridge-mods__aaa-orig.jpg";
const fs::path kUnlisted = kImages / "labelme-subset__q1050.jpg";
constexpr const char* kToken = "test-token-0123456789abcdef";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string md5_hex(const std::string& bytes) {
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

std::size_t collect(char* p, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

class CheckDaemon {
 public:
  explicit CheckDaemon(const std::string& name = "main", unsigned rate_per_client = 100000) {
    dir_ = fs::temp_directory_path() / ("dijk-check-it-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    listed_md5_ = md5_hex(read_file(kListed));
    write_set(dir_ / "current.set", {listed_md5_}, {{first_word(kPdqData / "harbour.pdq"), 100}});
    std::ofstream(dir_ / "token") << kToken << "\n";
    port_ = free_port();
    std::ofstream(dir_ / "dijk.toml")
        << "appliance_id = \"check-it\"\n"
        << "[paths]\nset = \"" << (dir_ / "current.set").string() << "\"\n"
        << "state = \"" << (dir_ / "state").string() << "\"\n"
        << "[check_api]\nsocket = \"" << socket().string() << "\"\n"
        << "socket_group = \"\"\n"
        << "listen = \"127.0.0.1:" << port_ << "\"\n"
        << "tokens = [{ name = \"web\", token_file = \"" << (dir_ / "token").string() << "\" }]\n"
        << "max_body_mb = 2\nrate_per_client = " << rate_per_client << "\nheader_timeout_s = 2\n"
        << "journal = \"" << journal().string() << "\"\n"
        << "metrics_listen = \"127.0.0.1:0\"\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string config = (dir_ / "dijk.toml").string();
      ::execl(DIJK_CHECK_BIN, DIJK_CHECK_BIN, "--config", config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 600 && get("/v1/health").status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
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

  fs::path socket() const { return dir_ / "check.sock"; }
  fs::path journal() const { return dir_ / "journal-api"; }
  const std::string& listed_md5() const { return listed_md5_; }
  std::uint16_t port() const { return port_; }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

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
  pid_t pid_ = -1;
};

class CheckApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new CheckDaemon; }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static CheckDaemon* daemon_;
};
CheckDaemon* CheckApi::daemon_ = nullptr;

std::vector<journal::JournalEntry> journal_entries(const fs::path& dir) {
  std::vector<journal::JournalEntry> out;
  journal::JournalReader reader(dir);
  while (auto e = reader.next()) out.push_back(std::move(*e));
  return out;
}

TEST_F(CheckApi, HealthNamesTheSet) {
  const Reply r = daemon_->get("/v1/health");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.doc();
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["set"]["version"], 1);
  EXPECT_TRUE(j["set"]["age_s"].is_number());
}

TEST_F(CheckApi, ListedJpegIsBlockedAndJournalledWithSourceApi) {
  const Reply r = daemon_->request("POST", "/v1/check", read_file(kListed),
                                   {"Content-Type: image/jpeg", "X-Dijk-Customer: cust-7",
                                    "X-Dijk-Upload-Id: up-42", "X-Dijk-Client-Ip: 192.0.2.9"});
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.doc();
  EXPECT_EQ(j["verdict"], "block");
  EXPECT_EQ(j["type"], "jpeg");
  EXPECT_EQ(j["md5"], daemon_->listed_md5());
  EXPECT_EQ(j["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["pdq"].get<std::string>().size(), 64u);
  EXPECT_TRUE(j["quality"].is_number());
  ASSERT_EQ(j["matches"].size(), 1u);
  EXPECT_EQ(j["matches"][0]["list"], "test-known");
  EXPECT_EQ(j["matches"][0]["algorithm"], "md5");
  EXPECT_EQ(j["matches"][0]["distance"], 0);

  // The hit was durable before the answer.
  bool found = false;
  for (const auto& e : journal_entries(daemon_->journal())) {
    if (e.record.hit.upload_id != "up-42") continue;
    found = true;
    EXPECT_EQ(e.record.hit.source, HitSource::api);
    EXPECT_EQ(e.record.hit.customer, "cust-7");
    EXPECT_EQ(e.record.hit.client_ip, "192.0.2.9");
    EXPECT_EQ(e.record.hit.action, "block");
    EXPECT_EQ(e.record.hit.hash, daemon_->listed_md5());
    EXPECT_EQ(e.record.appliance_id, "check-it");
  }
  EXPECT_TRUE(found);
}

TEST_F(CheckApi, UnlistedJpegIsAllowedAndNotJournalled) {
  const std::size_t before = journal_entries(daemon_->journal()).size();
  const Reply r = daemon_->request("POST", "/v1/check", read_file(kUnlisted), {"X-Dijk-Upload-Id: clean-1"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.doc()["verdict"], "allow");
  EXPECT_TRUE(r.doc()["matches"].empty());
  EXPECT_EQ(journal_entries(daemon_->journal()).size(), before);
}

TEST_F(CheckApi, MultipartUploadIsSplitLikeOnTheWire) {
  const std::string body =
      "--b0und\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n"
      "--b0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n" +
      read_file(kListed) + "\r\n--b0und--\r\n";
  const Reply r =
      daemon_->request("POST", "/v1/check", body, {"Content-Type: multipart/form-data; boundary=b0und"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.doc()["verdict"], "block");
  EXPECT_EQ(r.doc()["md5"], daemon_->listed_md5());
}

TEST_F(CheckApi, MalformedMultipartIsA400) {
  const std::string cut =
      "--b0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n\r\nabc";
  const Reply r =
      daemon_->request("POST", "/v1/check", cut, {"Content-Type: multipart/form-data; boundary=b0und"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.doc()["error"]["code"], "bad_body");
  const Reply no_boundary = daemon_->request("POST", "/v1/check", "x", {"Content-Type: multipart/form-data"});
  EXPECT_EQ(no_boundary.status, 400);
  const Reply no_file = daemon_->request(
      "POST", "/v1/check", "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nv\r\n--b--\r\n",
      {"Content-Type: multipart/form-data; boundary=b"});
  EXPECT_EQ(no_file.status, 400);
  EXPECT_TRUE(daemon_->alive());
}

TEST_F(CheckApi, HashLookup) {
  const Reply hit = daemon_->get("/v1/hash/md5/" + daemon_->listed_md5());
  ASSERT_EQ(hit.status, 200) << hit.body;
  EXPECT_EQ(hit.doc()["verdict"], "block");
  EXPECT_EQ(hit.doc()["matches"][0]["list"], "test-known");
  const Reply miss = daemon_->get("/v1/hash/sha1/da39a3ee5e6b4b0d3255bfef95601890afd80709");
  ASSERT_EQ(miss.status, 200);
  EXPECT_EQ(miss.doc()["verdict"], "allow");
  EXPECT_EQ(daemon_->get("/v1/hash/md5/xyz").status, 400);
  EXPECT_EQ(daemon_->get("/v1/hash/crc32/00000000").status, 400);
}

TEST_F(CheckApi, TenThousandHashesWithGarbageMixedIn) {
  json hashes = json::array();
  for (int i = 0; i < 10000; ++i) {
    if (i == 5000) {
      hashes.push_back(daemon_->listed_md5());
    } else if (i % 1000 == 7) {
      hashes.push_back("not-a-hash-\x01");
    } else if (i % 1000 == 8) {
      hashes.push_back(json{{"weird", true}});
    } else {
      char hex[65];
      std::snprintf(hex, sizeof hex, "%064x", i);
      hashes.push_back(std::string(hex));
    }
  }
  const Reply r = daemon_->request("POST", "/v1/hashes", json{{"hashes", hashes}}.dump());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  const json j = r.doc();
  EXPECT_EQ(j["count"], 10000);
  EXPECT_EQ(j["matched"], 1);
  EXPECT_EQ(j["invalid"], 20);
  EXPECT_EQ(j["results"][5000]["verdict"], "block");
  EXPECT_TRUE(j["results"][7].contains("error"));

  hashes.push_back(daemon_->listed_md5());  // 10,001
  EXPECT_EQ(daemon_->request("POST", "/v1/hashes", json{{"hashes", hashes}}.dump()).status, 413);
  EXPECT_EQ(daemon_->request("POST", "/v1/hashes", "{\"hashes\": [").status, 400);
  EXPECT_EQ(daemon_->request("POST", "/v1/hashes", "[1,2]").status, 400);
}

TEST_F(CheckApi, PdqQuery) {
  const std::string listed = first_word(kPdqData / "harbour.pdq");
  const Reply r = daemon_->request("POST", "/v1/pdq", json{{"hash", listed}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.doc()["matches"].size(), 1u);
  EXPECT_EQ(r.doc()["matches"][0]["distance"], 0);
  EXPECT_EQ(r.doc()["verdict"], "block");
  // Two hex digits changed: a few bits away, which threshold 0 does not reach.
  std::string near = listed;
  near[0] = near[0] == 'f' ? '0' : 'f';
  near[1] = near[1] == 'f' ? '0' : 'f';
  const Reply far = daemon_->request("POST", "/v1/pdq", json{{"hash", near}, {"threshold", 0}}.dump());
  ASSERT_EQ(far.status, 200);
  EXPECT_TRUE(far.doc()["matches"].empty());
  EXPECT_EQ(daemon_->request("POST", "/v1/pdq", "{\"hash\": \"abc\"}").status, 400);
  EXPECT_EQ(daemon_->request("POST", "/v1/pdq", json{{"hash", listed}, {"threshold", 99}}.dump()).status,
            400);
}

TEST_F(CheckApi, TcpNeedsAValidBearerToken) {
  const std::string good = kToken, bad = "wrong-token-0123456789abcdef", none;
  EXPECT_EQ(daemon_->request("GET", "/v1/health", "", {}, &good).status, 200);
  const Reply r = daemon_->request("GET", "/v1/health", "", {}, &bad);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.doc()["error"]["code"], "unauthorized");
  EXPECT_EQ(daemon_->request("GET", "/v1/health", "", {}, &none).status, 401);
}

TEST_F(CheckApi, OversizedBodyIs413) {
  const std::string big(3u << 20, 'x');  // max_body_mb = 2
  // The client waits for "100 Continue" before sending the body, as a well-behaved one does: the refusal
  // comes from Content-Length, before a byte of the body is read.
  const Reply r = daemon_->request("POST", "/v1/check", big,
                                   {"Content-Type: application/octet-stream", "Expect: 100-continue"});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.doc()["error"]["code"], "too_large");
  EXPECT_EQ(daemon_->request("GET", "/v1/nothing").status, 404);
  EXPECT_EQ(daemon_->request("GET", "/v1/check").status, 405);
  EXPECT_TRUE(daemon_->alive());
}

TEST_F(CheckApi, SlowlorisNeverHoldsAWorker) {
  // Hundreds of connections each trickling a request line a byte at a time; a legitimate check through
  // them still answers, and the trickling connections are cut at the header deadline (2 s here).
  constexpr int kSlow = 300;
  std::vector<int> fds;
  for (int i = 0; i < kSlow; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(daemon_->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    fds.push_back(fd);
  }
  const std::string line = "POST /v1/check HTTP/1.1\r\nHost: x\r\n";
  int cut = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    for (int& fd : fds) {
      if (fd >= 0 && ::send(fd, &line[i], 1, MSG_NOSIGNAL) != 1) {
        ::close(fd);
        fd = -1;
        ++cut;
      }
    }
    if (i == 1) {
      const std::string good = kToken;
      const Reply r = daemon_->request("POST", "/v1/check", read_file(kListed), {}, &good);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.doc()["verdict"], "block");
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // Past the deadline every slow connection has been shut down by the server: reads see the end.
  for (int& fd : fds) {
    if (fd < 0) continue;
    char c;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::recv(fd, &c, 1, 0) <= 0) ++cut;
    ::close(fd);
  }
  EXPECT_EQ(cut, kSlow);
  EXPECT_TRUE(daemon_->alive());
  EXPECT_EQ(daemon_->get("/v1/health").status, 200);
}

TEST(CheckApiLimits, ClientOverItsRateGets429) {
  // One request a second per client. The start-up health poll is the socket's client (its uid); the token
  // is another client, whose first request passes and whose next one, right after it, is refused.
  CheckDaemon daemon("rate", 1);
  const std::string token = kToken;
  EXPECT_EQ(daemon.request("GET", "/v1/health", "", {}, &token).status, 200);
  const Reply refused = daemon.request("GET", "/v1/health", "", {}, &token);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.doc()["error"]["code"], "rate_limited");
  EXPECT_TRUE(daemon.alive());
}

}  // namespace
}  // namespace dijk::test
