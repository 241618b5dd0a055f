// The analysts' web view in a real browser: `dijk-hotline inbox --web-listen` serves an inbox database
// holding hits (one from an appliance with a hostile name) and a feed's ledger, and headless Chromium from
// Debian renders the pages. The dumped DOM holds the hits, the fleet and the feed's history, the hostile
// name as text and no element it tried to inject; the screenshot is a PNG with something drawn on it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "control/feed/ledger.h"
#include "control/feed/publisher.h"
#include "hashcore/image/image_decoder.h"
#include "hashcore/set/set_builder.h"
#include "tests/integration/journal/child_process.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/support/test_support.h"

namespace dijk {
namespace {

namespace fs = std::filesystem;
using journal::testing::ChildProcess;

const std::string kHostileAppliance = "<script>document.title='owned'</script><img src=x onerror=alert(1)>";
const std::string kSecret = "s3cret-analyst-token-0123456789";

std::string chromium_binary() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(p)) return p;
  }
  return {};
}

std::string hash_hex(int n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064x", 0xfeed0000u + static_cast<unsigned>(n));
  return buf;
}

inbox::InboxHit hit(const std::string& appliance, std::uint64_t position, const std::string& list) {
  inbox::InboxHit h;
  h.appliance = appliance;
  h.position = position;
  h.key = appliance + ":" + std::to_string(position);
  h.time_ns = 1'764'000'000'000'000'000ull;
  h.algorithm = "sha256";
  h.hash = hash_hex(static_cast<int>(position));
  h.list = list;
  h.report = "{\"key\":\"" + h.key + "\",\"appliance\":" + nlohmann::json(appliance).dump() +
             ",\"position\":" + std::to_string(position) + ",\"time_ns\":" + std::to_string(h.time_ns) +
             ",\"source\":\"wire\",\"algorithm\":\"sha256\",\"hash\":\"" + h.hash + "\",\"list\":\"" + list +
             "\",\"category\":\"A1\",\"url\":\"http://uploads.example/u/" + std::to_string(position) + "\"}";
  return h;
}

class WebView : public ::testing::Test {
 protected:
  void SetUp() override {
    browser_ = chromium_binary();
    if (browser_.empty()) GTEST_SKIP() << "chromium is not installed (tools/setup installs it)";
    const auto pki = journal::testing::make_test_pki(dir_.path() / "tls");
    {
      inbox::SqliteInboxStore store(dir_.path() / "inbox.db");
      store.store({hit("box-1", 1, "hotline-a"), hit("box-1", 2, "hotline-b")}, 1'764'000'100);
      store.store({hit(kHostileAppliance, 1, "hotline-a")}, 1'764'000'200);
    }
    // The feed: one published version and a retraction whose note is hostile too.
    const std::string keys = (dir_.path() / "keys").string();
    feed::keygen({keys, "nl-test", 86400});
    SetBuilder b;
    const auto list = b.add_list("hotline-a", "A1");
    Digest d;
    d.algorithm = Algorithm::sha256;
    b.add(d, list);
    b.write(dir_.file("v1.set"), 1);
    feed::publish_set({dir_.file("feed"), keys, 8, 86400, 0}, dir_.file("v1.set"));
    feed::LedgerRecord retraction;
    retraction.kind = feed::LedgerKind::retract;
    retraction.time = 1'764'000'300;
    retraction.by = "analyst-1";
    retraction.note = "<b>stock photo</b>";
    retraction.hashes.push_back(d);
    feed::Ledger(keys).append(retraction);

    test::write_text(dir_.file("tokens"), "analyst-1 " + kSecret + "\n");
    web_port_ = test::free_port();
    inbox_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{
            DIJK_HOTLINE_BIN, "inbox", "--listen", "127.0.0.1:" + std::to_string(test::free_port()), "--cert",
            pki.server_cert, "--key", pki.server_key, "--client-ca", pki.ca, "--db", dir_.file("inbox.db"),
            "--web-listen", "127.0.0.1:" + std::to_string(web_port_), "--web-tokens", dir_.file("tokens"),
            "--web-feed-keys", keys},
        dir_.path() / "inbox.log");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (test::read_text(dir_.file("inbox.log")).find("web view on") == std::string::npos &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_NE(test::read_text(dir_.file("inbox.log")).find("web view on"), std::string::npos)
        << test::read_text(dir_.file("inbox.log"));
  }

  void TearDown() override {
    if (inbox_) inbox_->kill(SIGTERM);
  }

  std::string url(const std::string& path, bool signed_in = true) const {
    return "https://" + std::string(signed_in ? "analyst-1:" + kSecret + "@" : "") +
           "127.0.0.1:" + std::to_string(web_port_) + path;
  }

  // Headless Chromium as root needs these; its profile is a new folder each run.
  test::CommandResult chromium(std::vector<std::string> args) {
    const std::string profile = dir_.file("profile-" + std::to_string(++runs_));
    fs::create_directories(profile);
    std::vector<std::string> argv{browser_,
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-quic",
                                  "--no-first-run",
                                  "--disable-background-networking",
                                  "--disable-component-update",
                                  "--disable-sync",
                                  "--user-data-dir=" + profile,
                                  "--ignore-certificate-errors"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(argv);
  }

  std::string dom(const std::string& path) {
    const auto r = chromium({"--dump-dom", url(path)});
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  test::TempDir dir_;
  std::string browser_;
  std::uint16_t web_port_ = 0;
  std::unique_ptr<ChildProcess> inbox_;
  int runs_ = 0;
};

TEST_F(WebView, HitsRenderWithEveryValueAsText) {
  const std::string page = dom("/hits");
  EXPECT_NE(page.find("<title>Hits · dijk inbox</title>"), std::string::npos) << page;
  EXPECT_NE(page.find("3 hits match"), std::string::npos) << page;
  for (int n : {1, 2}) EXPECT_NE(page.find(hash_hex(n)), std::string::npos) << page;
  EXPECT_NE(page.find("http://uploads.example/u/2"), std::string::npos);
  // The hostile appliance's name is text in its cell: no script ran (the title is ours), nothing injected.
  EXPECT_NE(
      page.find("&lt;script&gt;document.title='owned'&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"),
      std::string::npos)
      << page;
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("owned</title>"), std::string::npos);

  // Filters: one appliance, one list.
  const std::string filtered = dom("/hits?appliance=box-1&list=hotline-b");
  EXPECT_NE(filtered.find("1 hit match"), std::string::npos) << filtered;
  EXPECT_NE(filtered.find(hash_hex(2)), std::string::npos);
  EXPECT_EQ(filtered.find(hash_hex(1)), std::string::npos);
  // A filter that does not parse is a readable 400, not a page of everything.
  EXPECT_NE(dom("/hits?since=yesterdayish").find("since"), std::string::npos);
}

TEST_F(WebView, FleetAndFeedHistoryRender) {
  const std::string fleet = dom("/fleet");
  EXPECT_NE(fleet.find("2 appliances"), std::string::npos) << fleet;
  EXPECT_NE(fleet.find(">box-1</a>"), std::string::npos) << fleet;
  EXPECT_NE(fleet.find("2025-11-24T16:03:20Z"), std::string::npos) << fleet;  // the hostile one, seen last
  EXPECT_EQ(fleet.find("<script"), std::string::npos);

  const std::string history = dom("/feed");
  EXPECT_NE(history.find("<td>publish</td>"), std::string::npos) << history;
  EXPECT_NE(history.find("<td>retract</td>"), std::string::npos) << history;
  EXPECT_NE(history.find("&lt;b&gt;stock photo&lt;/b&gt;"), std::string::npos) << history;
}

TEST_F(WebView, AScreenshotShowsThePage) {
  const std::string shot = dir_.file("hits.png");
  const auto r =
      chromium({"--screenshot=" + shot, "--window-size=1280,800", "--hide-scrollbars", url("/hits")});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(fs::exists(shot)) << r.err;
  const std::string png = test::read_text(shot);
  image::ImageDecoder decoder;
  const auto decoded = decoder.decode({reinterpret_cast<const std::uint8_t*>(png.data()), png.size()});
  ASSERT_TRUE(decoded.ok()) << image::decode_status_name(decoded.status);
  EXPECT_EQ(decoded.luma.type, FileType::png);
  EXPECT_EQ(decoded.luma.width, 1280u);
  EXPECT_EQ(decoded.luma.height, 800u);
  // Not blank: the dark header bar and the light page are both there, and text between them.
  float darkest = 255, lightest = 0;
  std::size_t mid = 0;
  const std::size_t pixels = std::size_t{decoded.luma.width} * decoded.luma.height;
  for (std::size_t i = 0; i < pixels; ++i) {
    const float v = decoded.luma.pixels[i];
    darkest = std::min(darkest, v);
    lightest = std::max(lightest, v);
    mid += v > 80 && v < 200 ? 1 : 0;
  }
  EXPECT_LT(darkest, 80.0f);
  EXPECT_GT(lightest, 230.0f);
  EXPECT_GT(mid, 100u);
}

TEST_F(WebView, NobodyReadsWithoutAnAnalystsSecret) {
  // curl's status line: the HTTP status only.
  const auto status = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(argv).out;
  };
  EXPECT_EQ(status({url("/hits", false)}), "401");
  EXPECT_EQ(status({"-u", "analyst-1:wrong-secret-0123456789", url("/hits", false)}), "401");
  EXPECT_EQ(status({"-u", "nobody:" + kSecret, url("/hits", false)}), "401");
  EXPECT_EQ(status({"-H", "Authorization: Bearer " + kSecret, url("/fleet", false)}), "200");
  // Read-only: nothing but GET.
  EXPECT_EQ(status({"-X", "POST", url("/hits")}), "405");
  // Who read what is in the inbox's log.
  EXPECT_NE(test::read_text(dir_.file("inbox.log")).find("analyst-1 GET /fleet"), std::string::npos);
}

}  // namespace
}  // namespace dijk
