#pragma once
// Every hash and lookup dijk-check does, behind one class: digests and type of an upload, its PDQ hash
// (computed once per request), exact lookups of given digests and PDQ searches, all against the live set.
// This is the only file of dijk-check that knows how matching is done (the house's one
// dataplane/match: FileFingerprinter and Matcher); swapping in another matcher changes only this pair.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/hit_event.h"
#include "dataplane/match/matcher.h"
#include "dataplane/pipeline/live_set.h"
#include "hashcore/digest/algorithm.h"
#include "hashcore/pdq/pdq_hash.h"

namespace dijk {
class PdqHasher;
class PdqIndex;
}  // namespace dijk

namespace dijk::check {

struct Match {
  std::string list;
  std::string category;
  std::string algorithm;       // md5, sha1, sha256 or pdq
  std::string hash;            // the listed hash that matched (hex)
  std::uint32_t distance = 0;  // 0 for exact matches
};

struct FileReport {
  std::uint64_t size = 0;
  std::string type;  // file_type_name(): jpeg, png, ..., unknown
  std::string md5, sha1, sha256;
  std::optional<std::string> pdq;  // images that decoded
  std::optional<int> quality;
  bool allow_listed = false;  // a digest is on the set's allow-list: no matches are reported
  std::vector<Match> matches;
  std::vector<HitEvent> hits;  // matches[i] as the journal keeps it (match::make_hit), same order
  std::uint64_t set_version = 0;
};

struct DigestQuery {
  Algorithm algorithm;
  std::span<const std::uint8_t> digest;
};

struct LookupReport {
  bool allow_listed = false;
  std::vector<Match> matches;
  std::uint64_t set_version = 0;
};

class CheckEngine {
 public:
  // `pdq_radius`: the largest distance an upload's PDQ hash matches at ([hashing] pdq_max_distance).
  CheckEngine(const LiveSet& set, int pdq_radius);
  ~CheckEngine();
  CheckEngine(const CheckEngine&) = delete;
  CheckEngine& operator=(const CheckEngine&) = delete;

  // Thread-safe: each call borrows a PDQ hasher from a small pool. `where` goes into each hit.
  FileReport check_file(std::span<const std::uint8_t> bytes, const match::FileContext& where) const;
  LookupReport lookup(Algorithm algorithm, std::span<const std::uint8_t> digest) const;
  // Many lookups against one set version (taken once: a swap mid-request cannot split the answer).
  std::vector<LookupReport> lookup_batch(std::span<const DigestQuery> queries) const;
  LookupReport lookup_pdq(const PdqHash& hash, int threshold) const;

  std::uint64_t set_version() const;
  bool has_set() const;
  // A reloaded [hashing] pdq_max_distance: uploads checked from now on match at it.
  void set_pdq_radius(int radius) { pdq_radius_.store(radius, std::memory_order_relaxed); }
  std::int64_t set_created_unix() const;

 private:
  struct View;  // a set and its PDQ index, rebuilt when the live set's generation moves
  std::shared_ptr<const View> view() const;
  std::unique_ptr<PdqHasher> borrow_hasher() const;
  void give_back(std::unique_ptr<PdqHasher> hasher) const;

  const LiveSet& live_;
  std::atomic<int> pdq_radius_;
  mutable std::mutex mutex_;  // guards view_ and hashers_
  mutable std::shared_ptr<const View> view_;
  mutable std::vector<std::unique_ptr<PdqHasher>> hashers_;
};

}  // namespace dijk::check
