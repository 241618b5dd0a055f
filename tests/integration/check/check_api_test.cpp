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
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/journal/journal_reader.h"
#include "hashcore/digest/streaming_digests.h"
#include "tests/integration/check/check_daemon.h"

namespace dijk::test {
namespace {

using namespace dijk::test::check;

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

// /v1/health counts what the daemon answered since it started: every request (the health asks too), the
// refused ones, and each checked file's verdict.
TEST(CheckApiHealth, CountsRequestsRefusalsAndVerdicts) {
  CheckDaemon daemon("counts");
  const Reply before = daemon.get("/v1/health");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(daemon.request("POST", "/v1/check", read_file(kListed)).doc()["verdict"], "block");
  EXPECT_EQ(daemon.request("POST", "/v1/check", read_file(kUnlisted)).doc()["verdict"], "allow");
  const std::string wrong = "not-the-token-0123456789";
  EXPECT_EQ(daemon.request("GET", "/v1/health", "", {}, &wrong).status, 401);
  const Reply after = daemon.get("/v1/health");
  ASSERT_EQ(after.status, 200) << after.body;
  const json b = before.doc(), a = after.doc();
  const auto grew = [&](const char* section, const char* key) {
    return a[section][key].get<std::uint64_t>() - b[section][key].get<std::uint64_t>();
  };
  EXPECT_EQ(grew("requests", "total"), 4u) << a.dump();  // the first health, two checks, the refusal
  EXPECT_EQ(grew("requests", "rejected"), 1u) << a.dump();
  EXPECT_EQ(grew("verdicts", "block"), 1u) << a.dump();
  EXPECT_EQ(grew("verdicts", "allow"), 1u) << a.dump();
  EXPECT_EQ(grew("verdicts", "report"), 0u) << a.dump();

  // dijkctl status reads the same document from the socket the config names.
  const CommandResult status =
      run_command({DIJKCTL_BIN, "status", "--config", (daemon.dir() / "dijk.toml").string()});
  EXPECT_NE(status.out.find("dijk-check up, set version 1, "), std::string::npos) << status.out << status.err;
  EXPECT_NE(status.out.find("  requests  "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("verdicts 1 allow, 0 report, 1 block\n"), std::string::npos) << status.out;

  // Its admin socket, as the other daemons': status from the daemon shell, every counter for `stats`.
  const CommandResult shell =
      run_command({DIJKCTL_BIN, "status", "--json", "--socket", daemon.admin_socket().string()});
  EXPECT_EQ(shell.status, 0) << shell.out << shell.err;
  const auto shell_status = nlohmann::json::parse(shell.out);
  ASSERT_EQ(shell_status.size(), 1u) << shell.out;
  EXPECT_EQ(shell_status[0]["daemon"], "dijk-check");
  EXPECT_EQ(shell_status[0]["set"]["version"], 1);
  EXPECT_TRUE(shell_status[0]["problems"].empty()) << shell.out;
  const CommandResult stats = run_command({DIJKCTL_BIN, "stats", "--socket", daemon.admin_socket().string()});
  EXPECT_EQ(stats.status, 0) << stats.err;
  EXPECT_NE(stats.out.find("dijk_check_verdicts_total"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("verdict=block"), std::string::npos) << stats.out;
}

}  // namespace
}  // namespace dijk::test

namespace dijk::test {
namespace {

bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return done();
}

// [policy] and paths.set apply on reload (SIGHUP), without a restart: the listed upload's list switched to
// "report" is answered and journalled as report, and a set path naming a file without its hash makes it
// allowed; the daemon keeps serving throughout.
TEST(CheckApiReload, PolicyAndSetPathApplyWithoutARestart) {
  CheckDaemon d("reload");
  const std::string lookup = "/v1/hash/md5/" + d.listed_md5();
  ASSERT_EQ(d.get(lookup).doc()["verdict"], "block");

  std::ofstream(d.dir() / "dijk.toml", std::ios::app) << "[policy.lists]\ntest-known = \"report\"\n";
  d.reload();
  EXPECT_TRUE(eventually([&] { return d.get(lookup).doc()["verdict"] == "report"; })) << d.get(lookup).body;
  const Reply r = d.request("POST", "/v1/check", read_file(kListed),
                            {"Content-Type: image/jpeg", "X-Dijk-Upload-Id: rl-1"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.doc()["verdict"], "report");
  bool journalled = false;
  for (const auto& e : journal_entries(d.journal())) {
    if (e.record.hit.upload_id != "rl-1") continue;
    journalled = true;
    EXPECT_EQ(e.record.hit.action, "report");
  }
  EXPECT_TRUE(journalled);

  write_set(d.dir() / "other.set", {md5_hex("not the listed image")}, {}, 2);
  std::string text = read_file(d.dir() / "dijk.toml");
  const std::string old_path = (d.dir() / "current.set").string();
  text.replace(text.find(old_path), old_path.size(), (d.dir() / "other.set").string());
  std::ofstream(d.dir() / "dijk.toml", std::ios::trunc) << text;
  d.reload();
  EXPECT_TRUE(eventually([&] { return d.get(lookup).doc()["verdict"] == "allow"; })) << d.get(lookup).body;
  EXPECT_EQ(d.get("/v1/health").doc()["set"]["version"], 2);
  EXPECT_TRUE(d.alive());
}

}  // namespace
}  // namespace dijk::test
