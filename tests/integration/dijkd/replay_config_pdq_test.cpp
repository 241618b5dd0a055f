// dijkd replay with --config (the TOML config instead of options; options still override it) and the PDQ
// stage: a re-saved copy of a listed image, uploaded over HTTP, is found by PDQ and by no exact digest.
#include <gtest/gtest.h>

#include <set>

#include "control/journal/journal_reader.h"
#include "tests/integration/dijkd/dijkd_harness.h"

namespace dijk::test {
namespace {

class DijkdReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dijkd_replay_it_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_config(const std::string& body) {
    const fs::path p = dir_ / "dijk.toml";
    std::ofstream(p) << body;
    return p;
  }

  // The set of the wire captures: MD5 and SHA-1 lists of tests/data/captures/lists.
  fs::path capture_set() {
    std::vector<std::string> digests = lines_of(kCaptures / "lists/test-known.md5");
    for (const auto& h : lines_of(kCaptures / "lists/test-known.sha1")) digests.push_back(h);
    const fs::path p = dir_ / "captures.set";
    write_set(p, digests, {});
    return p;
  }

  // harbour.jpg's MD5 and its PDQ hash (with the quality dijkctl hash gave it).
  fs::path pdq_set(bool with_md5) {
    std::ifstream in(kPdqData / "harbour.pdq");
    std::string hex;
    int quality = 0;
    in >> hex >> quality;
    const fs::path p = dir_ / (with_md5 ? "pdq_md5.set" : "pdq_only.set");
    write_set(p, with_md5 ? lines_of(kPdqData / "harbour.md5") : std::vector<std::string>{},
              {{hex, quality}});
    return p;
  }

  fs::path dir_;
};

std::set<std::string> hashes_of(const DijkdRun& r, const std::string& algorithm) {
  std::set<std::string> out;
  for (const auto& h : r.hits)
    if (h["algorithm"] == algorithm) out.insert(h["hash"].get<std::string>());
  return out;
}

TEST_F(DijkdReplay, ConfigFileGivesTheSetAndTheDataplane) {
  const fs::path set = capture_set();
  const fs::path config = write_config(
      "appliance_id = \"it\"\n[dataplane]\nlcores = [1]\nhttp_ports = [80, 8080]\n"
      "flow_table_cap = 4096\n[dataplane.eal]\nhugepages = false\nmemory_mb = 512\n"
      "[paths]\nset = \"" +
      set.string() + "\"\n");
  const auto r =
      run_dijkd("replay " + (kCaptures / "two_uploads.pcap").string() + " --config " + config.string());
  ASSERT_EQ(r.exit_code, 1) << r.output;  // hits found
  ASSERT_EQ(r.hits.size(), 2u) << r.output;
  std::set<std::string> files;
  for (const auto& h : r.hits) files.insert(h["filename"].get<std::string>());
  EXPECT_EQ(files, (std::set<std::string>{"harbour.jpg", "dunes.png"}));
  EXPECT_EQ(r.total("hits_reported"), 2u);
}

TEST_F(DijkdReplay, CommandLineOverridesTheConfig) {
  // The config names a set that matches nothing; --set on the command line wins.
  const fs::path empty = dir_ / "empty.set";
  write_set(empty, {}, {});
  const fs::path config =
      write_config("[dataplane.eal]\nhugepages = false\n[paths]\nset = \"" + empty.string() + "\"\n");
  const std::string capture = (kCaptures / "wget_post.pcap").string();
  const auto by_config = run_dijkd("replay " + capture + " --config " + config.string());
  EXPECT_EQ(by_config.exit_code, 0) << by_config.output;
  EXPECT_TRUE(by_config.hits.empty());
  const auto overridden =
      run_dijkd("replay " + capture + " --config " + config.string() + " --set " + capture_set().string());
  EXPECT_EQ(overridden.exit_code, 1) << overridden.output;
  EXPECT_EQ(overridden.hits.size(), 1u);
  // wget_post is on port 8080: with --http-ports 80 it is not parsed as HTTP at all.
  const auto port80 = run_dijkd("replay " + capture + " --config " + config.string() + " --set " +
                                capture_set().string() + " --http-ports 80");
  EXPECT_EQ(port80.exit_code, 0) << port80.output;
  EXPECT_EQ(port80.total("stream_http_requests"), 0u);
}

TEST_F(DijkdReplay, BadConfigIsRefusedWithEveryErrorAndItsPosition) {
  const fs::path config = write_config("[dataplane]\nlcore = [1]\nflow_table_cap = 12\n");
  const auto r =
      run_dijkd("replay " + (kCaptures / "two_uploads.pcap").string() + " --config " + config.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(config.string() +
                          ":2:1: error: unknown key 'dataplane.lcore', did you mean 'dataplane.lcores'?"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(config.string() + ":3:"), std::string::npos) << r.output;
}

TEST_F(DijkdReplay, ResavedImageIsFoundByPdqNotByDigests) {
  const auto r =
      run_dijkd("replay " + (kPdqData / "pdq_resaved.pcap").string() + " --set " + pdq_set(true).string());
  ASSERT_EQ(r.exit_code, 1) << r.output;
  const std::string original_md5 = first_word(kPdqData / "harbour.md5");
  const std::string resaved_md5 = first_word(kPdqData / "harbour_resaved.md5");
  ASSERT_NE(original_md5, resaved_md5);  // re-encoded: other bytes
  // The original: its MD5 (exact) and its PDQ hash at distance 0.
  // The re-saved copy: PDQ only, within the radius, not at distance 0, quality >= 50.
  bool resaved_by_pdq = false, original_by_md5 = false;
  for (const auto& h : r.hits) {
    const std::string file = h["filename"];
    if (h["algorithm"] == "md5") {
      EXPECT_EQ(file, "harbour.jpg") << h.dump();
      original_by_md5 = true;
    } else {
      ASSERT_EQ(h["algorithm"], "pdq") << h.dump();
      ASSERT_TRUE(h.contains("distance") && h.contains("quality")) << h.dump();
      const auto distance = h["distance"].get<int>();
      EXPECT_GE(h["quality"].get<int>(), 50);
      EXPECT_LE(distance, 31);
      EXPECT_EQ(h["list"], "test-known");
      // The original, settled by its MD5, is not looked at again by PDQ: only the copy is.
      ASSERT_EQ(file, "harbour_resaved.jpg") << h.dump();
      resaved_by_pdq = true;
      EXPECT_GT(distance, 0) << "a re-saved copy is a near, not an identical, PDQ match";
    }
  }
  EXPECT_TRUE(resaved_by_pdq) << r.output;
  EXPECT_TRUE(original_by_md5) << r.output;
  EXPECT_EQ(r.total("stream_pdq_queued"), 1u);
  EXPECT_EQ(r.total("pdq_hashed"), 1u);
  EXPECT_EQ(r.total("pdq_hits"), 1u);
}

TEST_F(DijkdReplay, WithoutPdqTheResavedCopyIsMissed) {
  const auto r = run_dijkd("replay " + (kPdqData / "pdq_resaved.pcap").string() + " --set " +
                           pdq_set(false).string() + " --no-pdq");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.hits.empty()) << r.output;
  EXPECT_EQ(r.total("stream_pdq_queued"), 0u);
}

TEST_F(DijkdReplay, PdqOnlySetFindsBothCopiesByPdq) {
  const auto r =
      run_dijkd("replay " + (kPdqData / "pdq_resaved.pcap").string() + " --set " + pdq_set(false).string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(hashes_of(r, "md5").empty());
  std::set<std::string> files;
  for (const auto& h : r.hits) files.insert(h["filename"].get<std::string>());
  EXPECT_EQ(files, (std::set<std::string>{"harbour.jpg", "harbour_resaved.jpg"})) << r.output;
}

// --journal: every reported hit (exact and PDQ) is in the journal, durable, with what was printed.
TEST_F(DijkdReplay, HitsAreDurableInTheJournalBeforeTheyAreReported) {
  const fs::path journal = dir_ / "journal";
  const auto r = run_dijkd("replay " + (kPdqData / "pdq_resaved.pcap").string() + " --set " +
                           pdq_set(true).string() + " --journal " + journal.string());
  ASSERT_EQ(r.exit_code, 1) << r.output;
  ASSERT_EQ(r.hits.size(), 2u) << r.output;  // the original by MD5, the re-saved copy by PDQ
  EXPECT_EQ(r.total("journal_hits_journalled"), 2u);
  EXPECT_EQ(r.total("journal_hits_unjournalled"), 0u);
  EXPECT_EQ(r.total("hits_reported"), 2u);

  journal::JournalReader reader(journal);
  std::multiset<std::string> in_journal, printed;
  while (auto e = reader.next()) {
    const HitEvent& h = e->record.hit;
    in_journal.insert(h.algorithm + " " + h.hash + " " + h.filename + " " +
                      (h.pdq_distance ? std::to_string(*h.pdq_distance) : "-"));
  }
  for (const auto& h : r.hits)
    printed.insert(h["algorithm"].get<std::string>() + " " + h["hash"].get<std::string>() + " " +
                   h["filename"].get<std::string>() + " " +
                   (h.contains("distance") ? std::to_string(h["distance"].get<int>()) : "-"));
  EXPECT_EQ(in_journal, printed);
}

}  // namespace
}  // namespace dijk::test
