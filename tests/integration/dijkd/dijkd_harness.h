#pragma once
// Runs dijkd as a subprocess (DPDK's EAL can be initialised once per process) and reads its JSON lines:
// hits and the summary. Also builds small sets (exact and PDQ sections) for the tests.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/util/hex.h"

namespace dijk::test {

namespace fs = std::filesystem;
inline const fs::path kDijkd = fs::path(DIJK_BINARY_DIR) / "apps/dijkd/dijkd";
inline const fs::path kDijkctl = fs::path(DIJK_BINARY_DIR) / "apps/dijkctl/dijkctl";
inline const fs::path kCaptures = fs::path(DIJK_SOURCE_DIR) / "tests/data/captures";
inline const fs::path kPdqData = fs::path(DIJK_SOURCE_DIR) / "tests/data/dijkd/pdq";

struct DijkdRun {
  int exit_code = -1;
  std::vector<nlohmann::json> hits;
  nlohmann::json summary;
  std::string output;
  std::uint64_t total(const std::string& counter) const {
    const auto& t = summary["total"];
    return t.contains(counter) ? t[counter].get<std::uint64_t>() : 0;
  }
};

// Runs `dijkd ARGS --json` (stderr merged) and parses every JSON line.
inline DijkdRun run_dijkd(const std::string& args) {
  static int n = 0;
  const std::string cmd = kDijkd.string() + " " + args + " --json --file-prefix dijkd-it-" +
                          std::to_string(getpid()) + "-" + std::to_string(n++) + " 2>&1";
  DijkdRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 1 << 16> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
    const std::string line = buf.data();
    r.output += line;
    if (line.empty() || line[0] != '{') continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    if (j.contains("summary"))
      r.summary = j["summary"];
    else if (j.contains("hash"))
      r.hits.push_back(j);
  }
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline Digest digest_of_hex(const std::string& hex) {
  Digest d;
  d.algorithm = hex.size() == 32 ? Algorithm::md5 : hex.size() == 40 ? Algorithm::sha1 : Algorithm::sha256;
  const auto bytes = from_hex(hex);
  if (bytes) std::copy(bytes->begin(), bytes->end(), d.bytes.begin());
  return d;
}

// A set with the given exact digests (hex) and PDQ hashes (hex, quality) in one list "test-known".
inline void write_set(const fs::path& path, const std::vector<std::string>& digests,
                      const std::vector<std::pair<std::string, int>>& pdq, std::uint64_t version = 1) {
  SetBuilder builder;
  const auto list = builder.add_list("test-known", "test");
  for (const auto& hex : digests) builder.add(digest_of_hex(hex), list);
  if (!pdq.empty()) {
    PdqIndexBuilder index;
    for (const auto& [hex, quality] : pdq)
      index.add(*PdqHash::from_hex(hex), list, static_cast<std::uint8_t>(quality));
    add_pdq_section(builder, index);
  }
  builder.write(path.string(), version);
}

// Writes `path` beside itself and renames it into place, as dijk-control's sync installs a set.
inline void install_set(const fs::path& path, const std::vector<std::string>& digests,
                        const std::vector<std::pair<std::string, int>>& pdq, std::uint64_t version) {
  const fs::path tmp = path.string() + ".new";
  write_set(tmp, digests, pdq, version);
  fs::rename(tmp, path);
}

inline std::string first_word(const fs::path& file) {
  std::ifstream in(file);
  std::string w;
  in >> w;
  return w;
}

inline std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  std::string hex;
  while (in >> hex) out.push_back(hex);
  return out;
}

}  // namespace dijk::test
