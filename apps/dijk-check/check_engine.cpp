#include "apps/dijk-check/check_engine.h"

#include <chrono>

#include "dataplane/match/file_fingerprint.h"
#include "dataplane/match/matcher.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "hashcore/sniff/file_type.h"
#include "hashcore/util/hex.h"

namespace dijk::check {

struct CheckEngine::View {
  std::uint64_t generation = 0;
  std::optional<match::Matcher> matcher;  // empty: no set installed yet, nothing matches
  const HashSet* set() const { return matcher ? &matcher->set() : nullptr; }
};

CheckEngine::CheckEngine(const LiveSet& set, int pdq_radius) : live_(set), pdq_radius_(pdq_radius) {}
CheckEngine::~CheckEngine() = default;

std::shared_ptr<const CheckEngine::View> CheckEngine::view() const {
  const std::uint64_t generation = live_.generation();
  std::lock_guard lock(mutex_);
  if (view_ && view_->generation == generation) return view_;
  auto next = std::make_shared<View>();
  next->generation = generation;
  if (auto set = live_.current()) {
    next->matcher.emplace(std::move(set));
    // A PDQ section that does not validate leaves exact matching working; PDQ then matches nothing.
    next->matcher->load_pdq();
  }
  view_ = std::move(next);
  return view_;
}

std::unique_ptr<PdqHasher> CheckEngine::borrow_hasher() const {
  {
    std::lock_guard lock(mutex_);
    if (!hashers_.empty()) {
      auto h = std::move(hashers_.back());
      hashers_.pop_back();
      return h;
    }
  }
  return std::make_unique<PdqHasher>();
}

void CheckEngine::give_back(std::unique_ptr<PdqHasher> hasher) const {
  std::lock_guard lock(mutex_);
  hashers_.push_back(std::move(hasher));
}

namespace {
Match match_of(const HashSet& set, std::uint16_t list_index, std::string algorithm, std::string hash,
               std::uint32_t distance) {
  const ListInfo& list = set.list(list_index);
  return Match{list.name, list.category, std::move(algorithm), std::move(hash), distance};
}

Match match_of(const HashSet& set, const match::SetHit& h) {
  return match_of(set, h.list_index, h.algorithm, h.hash, h.pdq_distance.value_or(0));
}
}  // namespace

FileReport CheckEngine::check_file(std::span<const std::uint8_t> bytes,
                                   const match::FileContext& where) const {
  const auto v = view();
  FileReport r;
  // All three digests whatever the set holds: the caller gets them in the answer.
  match::FileFingerprinter fingerprinter(AlgorithmSet::all());
  fingerprinter.start(AlgorithmSet::all());
  fingerprinter.update(bytes);
  const match::FileFingerprint fp = fingerprinter.finish();
  r.size = fp.size;
  r.type = std::string(file_type_name(fp.type));
  const DigestResults& digests = fp.digests;
  r.md5 = to_hex({digests.get(Algorithm::md5).bytes.data(), digests.get(Algorithm::md5).size()});
  r.sha1 = to_hex({digests.get(Algorithm::sha1).bytes.data(), digests.get(Algorithm::sha1).size()});
  r.sha256 = to_hex({digests.get(Algorithm::sha256).bytes.data(), digests.get(Algorithm::sha256).size()});

  // The PDQ hash is part of the answer even when a digest already matched, so it is computed here once
  // and handed to the matcher, rather than letting the matcher hash only unsettled images.
  std::optional<PdqResult> pdq;
  if (is_image(fp.type)) {
    auto hasher = borrow_hasher();
    pdq = hasher->hash_file_bytes(bytes);
    give_back(std::move(hasher));
  }
  if (pdq) {
    r.pdq = pdq->hash.to_hex();
    r.quality = pdq->quality;
  }
  if (!v->matcher) return r;
  const HashSet& set = v->matcher->set();
  r.set_version = set.version();
  const match::ExactHits exact = v->matcher->exact_hits(fp);
  if (exact.allow_listed) {
    r.allow_listed = true;
    return r;
  }
  const auto add = [&](const match::SetHit& h) {
    r.matches.push_back(match_of(set, h));
    r.hits.push_back(match::make_hit(where, fp.size, r.type, h, set));
  };
  for (const match::SetHit& h : exact.hits) add(h);
  // pdq_hits never searches a flat image's hash (it would match every other flat image), as on the wire.
  if (pdq) {
    for (const match::SetHit& h :
         v->matcher->pdq_hits(pdq->hash, pdq->quality, pdq_radius_.load(std::memory_order_relaxed)).hits)
      add(h);
  }
  return r;
}

namespace {
LookupReport lookup_in(const HashSet* set, Algorithm algorithm, std::span<const std::uint8_t> digest) {
  LookupReport r;
  if (set == nullptr) return r;
  r.set_version = set->version();
  if (set->allow(algorithm).find(digest) != ExactTable::kNotFound) {
    r.allow_listed = true;
    return r;
  }
  const std::int32_t list = set->exact(algorithm).find(digest);
  if (list != ExactTable::kNotFound) {
    r.matches.push_back(match_of(*set, static_cast<std::uint16_t>(list),
                                 std::string(algorithm_name(algorithm)), to_hex(digest), 0));
  }
  return r;
}
}  // namespace

std::vector<LookupReport> CheckEngine::lookup_batch(std::span<const DigestQuery> queries) const {
  const auto v = view();
  std::vector<LookupReport> out;
  out.reserve(queries.size());
  for (const DigestQuery& q : queries) out.push_back(lookup_in(v->set(), q.algorithm, q.digest));
  return out;
}

LookupReport CheckEngine::lookup(Algorithm algorithm, std::span<const std::uint8_t> digest) const {
  const auto v = view();
  return lookup_in(v->set(), algorithm, digest);
}

LookupReport CheckEngine::lookup_pdq(const PdqHash& hash, int threshold) const {
  const auto v = view();
  LookupReport r;
  if (!v->matcher) return r;
  r.set_version = v->matcher->set().version();
  // A caller's own hash carries no quality: it is searched as a good one.
  for (const match::SetHit& h : v->matcher->pdq_hits(hash, kPdqDefaultMinQuality, threshold).hits)
    r.matches.push_back(match_of(v->matcher->set(), h));
  return r;
}

std::uint64_t CheckEngine::set_version() const {
  const auto v = view();
  return v->matcher ? v->matcher->set().version() : 0;
}

bool CheckEngine::has_set() const {
  return view()->matcher.has_value();
}

std::int64_t CheckEngine::set_created_unix() const {
  const auto v = view();
  return v->matcher ? v->matcher->set().created_unix() : 0;
}

}  // namespace dijk::check
