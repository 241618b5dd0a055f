// The reporter and the inbox together, in one process, over real TLS on loopback: delivery, privacy,
// authentication, failures of the inbox (500, hang, down, store-then-fail) and a reporter restarted
// mid-batch. Afterwards the inbox always holds every hit exactly once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/journal/ack_state.h"
#include "control/journal/journal_writer.h"
#include "control/reporter/reporter.h"
#include "tests/integration/journal/inbox_fixture.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk::journal {
namespace {

using testing::TestInbox;

class ReporterDelivery : public ::testing::Test {
 protected:
  void SetUp() override { pki_ = testing::make_test_pki(tmp_.path() / "pki"); }

  std::uint64_t write_hits(std::uint64_t first, std::uint64_t n) {
    JournalOptions o;
    o.dir = journal_;
    o.appliance_id = "appliance-1";
    o.log = [](std::string_view) {};
    JournalWriter w(o);
    auto& p = w.register_producer();
    std::uint64_t t = 0;
    for (std::uint64_t i = first; i < first + n; ++i)
      t = p.append(i % 2 ? testing::wire_hit(i) : testing::file_hit(i));
    EXPECT_TRUE(p.wait_durable(t));
    return w.durable_position();
  }

  reporter::ReporterOptions reporter_options(const TestInbox& inbox) {
    reporter::ReporterOptions o;
    o.journal_dir = journal_;
    o.state_file = state_;
    o.privacy = PrivacyPolicy::send_everything();  // no HMAC key unless a test gives one
    o.tls.url = inbox.url();
    o.tls.cert = pki_.client_cert;
    o.tls.key = pki_.client_key;
    o.tls.ca = pki_.ca;
    o.tls.request_timeout = std::chrono::milliseconds(700);
    o.tls.connect_timeout = std::chrono::milliseconds(500);
    o.backoff_initial = std::chrono::milliseconds(20);
    o.backoff_max = std::chrono::milliseconds(200);
    o.poll_interval = std::chrono::milliseconds(10);
    o.log = [](std::string_view m) { std::fprintf(stderr, "reporter: %.*s\n", int(m.size()), m.data()); };
    return o;
  }

  // Hit number -> how many times the inbox holds it.
  std::map<std::uint64_t, int> inbox_hits(TestInbox& inbox) {
    std::map<std::uint64_t, int> out;
    inbox.server().store().list(0, [&](const inbox::StoredHit& h) {
      const auto j = nlohmann::json::parse(h.report);
      ++out[std::stoull(j["hash"].get<std::string>(), nullptr, 16)];
    });
    return out;
  }

  void expect_exactly_once(TestInbox& inbox, std::uint64_t first, std::uint64_t n) {
    const auto hits = inbox_hits(inbox);
    EXPECT_EQ(hits.size(), n);
    for (std::uint64_t i = first; i < first + n; ++i) {
      const auto it = hits.find(i);
      ASSERT_NE(it, hits.end()) << "hit " << i << " missing";
      EXPECT_EQ(it->second, 1) << "hit " << i;
    }
  }

  testing::TempDir tmp_;
  testing::TestPki pki_;
  std::filesystem::path journal_ = tmp_.path() / "journal";
  std::filesystem::path state_ = tmp_.path() / "reporter.state";
  std::filesystem::path db_ = tmp_.path() / "inbox.db";
};

std::size_t deliver_until_idle(reporter::Reporter& r, int max_failures = 20) {
  std::size_t total = 0;
  int failures = 0;
  while (true) {
    const auto d = r.deliver_once();
    if (!d) {
      if (++failures > max_failures) break;
      continue;
    }
    if (*d == 0) break;
    total += *d;
  }
  return total;
}

TEST_F(ReporterDelivery, EveryHitArrivesOnceOverMutualTlsAndTheStateMovesAtomically) {
  const std::uint64_t end = write_hits(0, 1200);
  TestInbox inbox(pki_, db_);
  reporter::Reporter r(reporter_options(inbox));
  EXPECT_EQ(deliver_until_idle(r), 1200u);
  EXPECT_EQ(r.stats().batches_sent, 3u);  // 500 + 500 + 200
  EXPECT_EQ(read_ack_position(state_), end);
  expect_exactly_once(inbox, 0, 1200);
  // Nothing new: nothing sent. New hits: only they are sent.
  EXPECT_EQ(r.deliver_once(), 0u);
  write_hits(5000, 10);
  EXPECT_EQ(deliver_until_idle(r), 10u);
  EXPECT_EQ(inbox.server().stats().duplicates.load(), 0u);
  EXPECT_EQ(inbox_hits(inbox).size(), 1210u);
}

TEST_F(ReporterDelivery, PrivacyPolicyDecidesWhatLeavesTheAppliance) {
  write_hits(0, 4);
  TestInbox inbox(pki_, db_);
  auto o = reporter_options(inbox);
  o.privacy.client_ip = dijk::FieldPolicy::omit;
  o.privacy.url = dijk::FieldPolicy::hmac;
  o.privacy.filename = dijk::FieldPolicy::hmac;
  o.privacy.hmac_key = (tmp_.path() / "hmac.key").string();
  std::ofstream(o.privacy.hmac_key) << "a local secret the hotline never sees";
  reporter::Reporter r(o);
  EXPECT_EQ(deliver_until_idle(r), 4u);
  int seen = 0;
  inbox.server().store().list(0, [&](const inbox::StoredHit& h) {
    ++seen;
    EXPECT_EQ(h.report.find("192.0.2.7"), std::string::npos);
    EXPECT_EQ(h.report.find("uploads.example"), std::string::npos);
    EXPECT_EQ(h.report.find("holiday"), std::string::npos);
    EXPECT_EQ(h.report.find("/srv/spool"), std::string::npos);
    const auto j = nlohmann::json::parse(h.report);
    EXPECT_TRUE(j.contains("url_hmac") || j.contains("path_hmac")) << h.report;
    EXPECT_TRUE(j.contains("hash"));
  });
  EXPECT_EQ(seen, 4);
}

TEST_F(ReporterDelivery, AnApplianceWithoutAHotlineCertificateIsRefused) {
  write_hits(0, 3);
  TestInbox inbox(pki_, db_);
  auto o = reporter_options(inbox);
  o.tls.cert = pki_.rogue_cert;  // same name, wrong CA
  o.tls.key = pki_.rogue_key;
  reporter::Reporter rogue(o);
  EXPECT_FALSE(rogue.deliver_once());
  // The server counts the failed handshake just after its alert reaches the client.
  for (int i = 0; i < 200 && inbox.server().stats().tls_failures.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(inbox.server().stats().tls_failures.load(), 1u);
  EXPECT_EQ(inbox.server().store().count(), 0u);
  EXPECT_FALSE(read_ack_position(state_));
  // And the reporter trusts only the pinned CA: an inbox with a certificate from another CA is refused.
  o = reporter_options(inbox);
  o.tls.ca = tmp_.path() / "pki" / "rogue-ca.crt";
  reporter::Reporter misled(o);
  EXPECT_FALSE(misled.deliver_once());
  EXPECT_EQ(inbox.server().store().count(), 0u);
}

TEST_F(ReporterDelivery, Inbox500HangAndStoreThenFailAreRetriedWithoutLossOrDuplicates) {
  write_hits(0, 50);
  TestInbox inbox(pki_, db_);
  reporter::Reporter r(reporter_options(inbox));
  inbox.inject(inbox::Fault::answer_500, 2);
  EXPECT_FALSE(r.deliver_once());
  EXPECT_FALSE(r.deliver_once());
  inbox.inject(inbox::Fault::hang, 1);
  EXPECT_FALSE(r.deliver_once());  // the reporter's timeout (700 ms) ends the wait
  EXPECT_EQ(inbox.server().store().count(), 0u);
  inbox.inject(inbox::Fault::store_then_500, 1);
  EXPECT_FALSE(r.deliver_once());  // stored, but the reporter was told otherwise
  EXPECT_EQ(inbox.server().store().count(), 50u);
  EXPECT_EQ(r.deliver_once(), 50u);  // resent: the inbox recognises every key
  EXPECT_EQ(r.stats().duplicates_reported, 50u);
  EXPECT_EQ(r.stats().failures, 4u);
  expect_exactly_once(inbox, 0, 50);
}

TEST_F(ReporterDelivery, AReporterRestartedMidBatchResendsAndTheInboxStoresOnce) {
  write_hits(0, 700);
  TestInbox inbox(pki_, db_);
  {
    reporter::Reporter first(reporter_options(inbox));
    EXPECT_EQ(first.deliver_once(), 500u);
    // The inbox stores, then the connection dies before the answer (twice: curl itself retries once on a
    // reused connection that closes without a response). To the reporter this is a failed batch.
    inbox.inject(inbox::Fault::store_then_drop, 2);
    EXPECT_FALSE(first.deliver_once());
  }
  reporter::Reporter second(reporter_options(inbox));  // starts from the state file
  EXPECT_EQ(deliver_until_idle(second), 200u);
  EXPECT_EQ(second.stats().duplicates_reported, 200u);
  expect_exactly_once(inbox, 0, 700);
}

TEST_F(ReporterDelivery, InboxDownForAWhileThenUpGetsEverything) {
  write_hits(0, 300);
  TestInbox inbox(pki_, db_);
  inbox.stop();
  reporter::Reporter r(reporter_options(inbox));
  std::atomic<bool> stop{false};
  std::thread t([&] { r.run(stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  write_hits(300, 20);  // more hits while it is down
  inbox.start();
  for (int i = 0; i < 300 && inbox.server().store().count() < 320; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop.store(true);
  t.join();
  EXPECT_GE(r.stats().failures, 2u);  // it retried, with backoff, while the inbox was down
  expect_exactly_once(inbox, 0, 320);
}

// A hit the inbox refuses for good (403) used to be resent forever with everything after it waiting. Now
// the refused batch is halved until the refused hit stands alone; it goes to the quarantine with the
// inbox's reason and every other hit is delivered. A retry refused again leaves it there; once the inbox
// takes it, it is delivered and leaves (an audit line), and the inbox holds every hit exactly once.
TEST_F(ReporterDelivery, HitsRefusedForGoodAreQuarantinedAndTheRestIsDelivered) {
  const std::uint64_t end = write_hits(0, 600);
  TestInbox inbox(pki_, db_);
  inbox.refuse({testing::numbered_hash(317), testing::numbered_hash(550)});
  reporter::Reporter r(reporter_options(inbox));
  EXPECT_EQ(deliver_until_idle(r, 3), 600u);  // the position moved past every hit: 598 stored, 2 quarantined
  EXPECT_EQ(read_ack_position(state_), end);
  EXPECT_EQ(r.stats().failures, 0u);
  EXPECT_EQ(r.stats().quarantined, 2u);
  EXPECT_LT(r.stats().batches_sent, 40u) << "a binary search, not one request per hit";
  auto hits = inbox_hits(inbox);
  EXPECT_EQ(hits.size(), 598u);
  EXPECT_FALSE(hits.contains(317));
  EXPECT_FALSE(hits.contains(550));
  auto& quarantine = r.quarantine();
  auto listed = quarantine.list();
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& q : listed) {
    EXPECT_EQ(q.status, 403);
    EXPECT_EQ(q.reason, "injected refusal");
    EXPECT_EQ(q.key, "appliance-1:" + std::to_string(q.id));
  }
  EXPECT_EQ(listed[0].hit["hash"], testing::numbered_hash(317));
  EXPECT_EQ(listed[1].hit["hash"], testing::numbered_hash(550));

  // Later hits are not held back.
  write_hits(1000, 5);
  EXPECT_EQ(deliver_until_idle(r, 3), 5u);
  EXPECT_EQ(inbox_hits(inbox).size(), 603u);

  // Retried while the inbox still refuses it: it stays, refused twice.
  inbox.refuse({testing::numbered_hash(317)});
  EXPECT_EQ(quarantine.request_retry(listed[0].id), 1u);
  EXPECT_EQ(r.deliver_once(), 0u);
  listed = quarantine.list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].refusals, 2u);
  EXPECT_FALSE(listed[0].retry_requested);

  // The inbox takes them now: a retry of all delivers both and empties the quarantine.
  inbox.refuse({});
  EXPECT_EQ(quarantine.request_retry(std::nullopt), 2u);
  EXPECT_EQ(r.deliver_once(), 0u);
  EXPECT_EQ(quarantine.size(), 0u);
  EXPECT_EQ(r.stats().retries_delivered, 2u);
  EXPECT_EQ(inbox_hits(inbox).size(), 605u);
  for (const auto& [n, times] : inbox_hits(inbox)) EXPECT_EQ(times, 1) << "hit " << n;
  std::ifstream audit(quarantine.audit_log());
  int delivered_lines = 0;
  for (std::string line; std::getline(audit, line);) {
    delivered_lines += nlohmann::json::parse(line).value("action", "") == "delivered";
  }
  EXPECT_EQ(delivered_lines, 2);
}

// Transient answers (408, 429, 5xx) stay what they were: nothing is quarantined, the batch is resent.
TEST_F(ReporterDelivery, TransientAnswersAreResentNotQuarantined) {
  write_hits(0, 20);
  TestInbox inbox(pki_, db_);
  reporter::Reporter r(reporter_options(inbox));
  inbox.inject(inbox::Fault::answer_500, 3);
  EXPECT_FALSE(r.deliver_once());
  EXPECT_EQ(deliver_until_idle(r), 20u);
  EXPECT_EQ(r.quarantine().size(), 0u);
  EXPECT_EQ(r.stats().refusals, 0u);
  expect_exactly_once(inbox, 0, 20);
}

// A raw TLS client with the appliance's certificate, for bytes no reporter would send.
std::string tls_exchange(const testing::TestPki& pki, std::uint16_t port, const std::string& request) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_use_certificate_file(ctx, pki.client_cert.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(ctx, pki.client_key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_load_verify_locations(ctx, pki.ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  std::string response;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    // The in-process inbox's threads can interrupt this one with a signal: a blocking call that returns
    // with EINTR is retried, not taken for the server's answer.
    const auto interrupted = [&](int rc) {
      const int e = SSL_get_error(ssl, rc);
      return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_SYSCALL) &&
             errno == EINTR;
    };
    int rc = 0;
    do errno = 0;
    while ((rc = SSL_connect(ssl)) != 1 && interrupted(rc));
    if (rc == 1) {
      do errno = 0;
      while ((rc = SSL_write(ssl, request.data(), static_cast<int>(request.size()))) <= 0 && interrupted(rc));
      char buf[4096];
      int n = 0;
      for (;;) {
        errno = 0;
        n = SSL_read(ssl, buf, sizeof buf);
        if (n > 0) {
          response.append(buf, static_cast<std::size_t>(n));
        } else if (!interrupted(n)) {
          break;
        }
      }
      if (response.empty()) {
        response = "no response: SSL error " + std::to_string(SSL_get_error(ssl, n)) + " errno " +
                   std::to_string(errno) + " " + ERR_error_string(ERR_get_error(), nullptr);
      }
    } else {
      response = std::string("handshake failed: ") + ERR_error_string(ERR_get_error(), nullptr);
    }
    SSL_free(ssl);
  }
  ::close(fd);
  SSL_CTX_free(ctx);
  return response;
}

TEST_F(ReporterDelivery, HostileRequestsGetAClear4xxAndACountAndNothingIsLost) {
  write_hits(0, 5);
  TestInbox inbox(pki_, db_);
  const std::string garbage = tls_exchange(pki_, inbox.port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400 ", 0), 0u) << garbage;
  const std::string too_large =
      tls_exchange(pki_, inbox.port(), "POST /v1/hits HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n");
  EXPECT_EQ(too_large.rfind("HTTP/1.1 413 ", 0), 0u) << too_large;
  const std::string bad_json =
      tls_exchange(pki_, inbox.port(), "POST /v1/hits HTTP/1.1\r\nContent-Length: 8\r\n\r\n{\"a\":1}x");
  EXPECT_EQ(bad_json.rfind("HTTP/1.1 400 ", 0), 0u) << bad_json;
  const std::string other =
      R"({"format":"dijk-hits/1","hits":[{"key":"appliance-2:0","appliance":"appliance-2","position":0,)"
      R"("time_ns":1,"algorithm":"md5","hash":"00"}]})";
  const std::string forged = tls_exchange(
      pki_, inbox.port(),
      "POST /v1/hits HTTP/1.1\r\nContent-Length: " + std::to_string(other.size()) + "\r\n\r\n" + other);
  EXPECT_EQ(forged.rfind("HTTP/1.1 403 ", 0), 0u) << forged;
  EXPECT_EQ(tls_exchange(pki_, inbox.port(), std::string(20000, 'A')).rfind("HTTP/1.1 431 ", 0), 0u);
  EXPECT_EQ(inbox.server().stats().bad_requests.load(), 5u);
  EXPECT_EQ(inbox.server().stats().forbidden.load(), 1u);
  const std::string health = tls_exchange(pki_, inbox.port(), "GET /v1/health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 ", 0), 0u) << health;
  reporter::Reporter r(reporter_options(inbox));
  EXPECT_EQ(deliver_until_idle(r), 5u);
  expect_exactly_once(inbox, 0, 5);
}

// An appliance with nothing to report is still heard: its heartbeat goes alone, in an empty report, every
// heartbeat interval, and the inbox keeps the newest; with hits it rides in every batch instead. A
// heartbeat the inbox cannot take (another appliance's) costs nothing but itself.
TEST_F(ReporterDelivery, HeartbeatsArriveWhileThereAreNoHitsAndRideWithEachBatch) {
  TestInbox inbox(pki_, db_);
  auto o = reporter_options(inbox);
  o.heartbeat_interval = std::chrono::milliseconds(100);
  std::atomic<std::uint64_t> beats{0};
  std::atomic<bool> foreign{false};
  o.heartbeat = [&]() -> std::optional<nlohmann::json> {
    return nlohmann::json{{"appliance", foreign ? "appliance-9" : "appliance-1"},
                          {"set_version", 40 + beats++},
                          {"feed_state", "ok"},
                          {"backlog", 0}};
  };
  reporter::Reporter r(o);
  std::atomic<bool> stop{false};
  std::thread loop([&] { r.run(stop); });
  const auto latest = [&] {
    nlohmann::json beat;
    inbox.server().store().list_heartbeats([&](const inbox::StoredHeartbeat& b) {
      EXPECT_EQ(b.appliance, "appliance-1");
      beat = nlohmann::json::parse(b.heartbeat);
    });
    return beat;
  };
  // No hits in the journal at all: heartbeats still come, one after another.
  for (int i = 0; i < 1000 && inbox.server().stats().heartbeats < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(inbox.server().stats().heartbeats.load(), 3u);
  EXPECT_EQ(inbox.server().store().count(), 0u) << "heartbeats store no hits";
  const auto first = latest();
  ASSERT_TRUE(first.is_object());
  EXPECT_GE(first["set_version"].get<std::uint64_t>(), 42u) << "the newest is kept: " << first;
  EXPECT_EQ(r.stats().batches_sent, 0u) << "a heartbeat alone is no batch";

  // Hits: the heartbeat travels with them.
  write_hits(0, 10);
  for (int i = 0; i < 1000 && inbox_hits(inbox).size() < 10; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  expect_exactly_once(inbox, 0, 10);

  // Another appliance's heartbeat on this certificate is dropped and counted; hits still arrive.
  foreign = true;
  // The reporter keeps the heartbeat it made for up to the interval: wait for one made after the switch.
  const std::uint64_t made = beats;
  for (int i = 0; i < 1000 && beats < made + 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  write_hits(100, 5);
  for (int i = 0; i < 1000 && inbox_hits(inbox).size() < 15; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  loop.join();
  EXPECT_EQ(inbox_hits(inbox).size(), 15u);
  EXPECT_GE(inbox.server().stats().heartbeats_refused.load(), 1u);
  EXPECT_EQ(inbox.server().stats().bad_requests.load(), 0u);
}

}  // namespace
}  // namespace dijk::journal
