#pragma once
// One file's fingerprint against one hash set: the exact digests first (allow-list before hits), then, for
// an image no digest settled, its PDQ hash within a Hamming radius. Every ingress uses it: wire uploads,
// the PDQ stage, the file scan, and dijk-check (the check API, ICAP). make_hit() is the one place a
// HitEvent is put together. A Matcher is bound to one set version; whoever follows set swaps makes a new
// one. Its lookups are const, so threads share one; each brings its own PdqHasher.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hit_event.h"
#include "dataplane/match/file_fingerprint.h"
#include "hashcore/pdq/pdq_hash.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "hashcore/pdq_index/pdq_index.h"
#include "hashcore/set/hash_set.h"

namespace dijk::match {

// Where a file came from and when it was seen: what a hit says besides the match itself.
struct FileContext {
  HitSource source = HitSource::file;
  std::uint64_t time_ns = 0;  // wall clock (capture time in a replay)
  std::optional<FlowTuple> flow;
  std::string method, host, uri, filename;  // wire uploads
  std::string path;                         // stored files
  std::optional<FileStat> file_stat;        // stored files, where stat was read
};

// One listed hash a file matched.
struct SetHit {
  HitKind kind = HitKind::exact;
  std::string algorithm;  // "md5", "sha1", "sha256" or "pdq"
  std::string hash;       // lower-case hex of the listed hash
  std::uint16_t list_index = 0;
  std::optional<std::uint32_t> pdq_distance;
  std::optional<std::uint32_t> pdq_quality;
};

HitEvent make_hit(const FileContext& where, std::uint64_t size, std::string_view file_type,
                  const SetHit& what, const HashSet& set);

struct ExactHits {
  bool allow_listed = false;  // nothing is reported, and no PDQ look follows
  std::vector<SetHit> hits;
};

// How far the perceptual look at a file went (each outcome is counted by the caller).
enum class PdqLook : std::uint8_t {
  not_tried,    // settled by a digest, not an image, or no PDQ hashes in the set
  too_large,    // the image was not kept whole (over a copy cap)
  undecodable,  // corrupt, truncated, too many pixels, unknown format
  low_quality,  // hashed, but too flat to mean anything: never searched
  searched,
};

struct PdqHits {
  PdqLook look = PdqLook::not_tried;
  std::vector<SetHit> hits;
};

struct CheckResult {
  FileFingerprint fingerprint;
  bool allow_listed = false;
  PdqLook pdq = PdqLook::not_tried;
  std::optional<PdqResult> pdq_hash;  // when the look hashed the image (the catalog keeps it)
  std::vector<HitEvent> hits;
};

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const HashSet> set);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // Reads the set's PDQ section for pdq_hits and the PDQ part of hits_for. False, with the reason,
  // when the section does not verify: digests still match, PDQ finds nothing.
  bool load_pdq(std::string* error = nullptr);
  bool has_pdq() const { return index_.has_value() && !index_->empty(); }

  const HashSet& set() const { return *set_; }
  // The digests worth computing: those the set holds hashes (or allow-list entries) for.
  AlgorithmSet algorithms() const { return set_->algorithms(); }

  ExactHits exact_hits(const FileFingerprint& file) const;
  // A PDQ hash of quality < kPdqDefaultMinQuality is never searched (it would match every flat image).
  PdqHits pdq_hits(const PdqHash& hash, int quality, int radius = kPdqDefaultRadius) const;

  // A fingerprinted file's hits: exact first; PDQ (with `hasher`, null: none) only for an image that no
  // digest settled, from the bytes the fingerprinter kept.
  CheckResult hits_for(FileFingerprinter& file, const FileContext& where, PdqHasher* hasher,
                       int radius = kPdqDefaultRadius) const;

 private:
  CheckResult settle(FileFingerprint fingerprint, std::span<const std::uint8_t> image, ImageCopy copy,
                     const FileContext& where, PdqHasher* hasher, int radius) const;

  std::shared_ptr<const HashSet> set_;
  std::optional<PdqIndex> index_;  // points into set_'s mapping
};

}  // namespace dijk::match
