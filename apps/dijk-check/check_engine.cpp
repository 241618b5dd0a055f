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
  std::shared_ptr<const HashSet> set;     // null: no set installed yet, nothing matches
  std::optional<match::Matcher> matcher;  // the house's one matcher, bound to `set`
};

CheckEngine::CheckEngine(const LiveSet& set, int pdq_radius) : live_(set), pdq_radius_(pdq_radius) {}
CheckEngine::~CheckEngine() = default;

std::shared_ptr<const CheckEngine::View> CheckEngine::view() const {
  const std::uint64_t generation = live_.generation();
  std::lock_guard lock(mutex_);
  if (view_ && view_->generation == generation) return view_;
  auto next = std::make_shared<View>();
  next->generation = generation;
  next->set = live_.current();
  if (next->set) {
    next->matcher.emplace(next->set);
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

FileReport CheckEngine::check_file(std::span<const std::uint8_t> bytes) const {
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
  if (!v->set) return r;
  r.set_version = v->set->version();
  const match::ExactHits exact = v->matcher->exact_hits(fp);
  if (exact.allow_listed) {
    r.allow_listed = true;
    return r;
  }
  for (const match::SetHit& h : exact.hits) r.matches.push_back(match_of(*v->set, h));
  // pdq_hits never searches a flat image's hash (it would match every other flat image), as on the wire.
  if (pdq) {
    for (const match::SetHit& h : v->matcher->pdq_hits(pdq->hash, pdq->quality, pdq_radius_).hits)
      r.matches.push_back(match_of(*v->set, h));
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
  for (const DigestQuery& q : queries) out.push_back(lookup_in(v->set.get(), q.algorithm, q.digest));
  return out;
}

LookupReport CheckEngine::lookup(Algorithm algorithm, std::span<const std::uint8_t> digest) const {
  const auto v = view();
  return lookup_in(v->set.get(), algorithm, digest);
}

LookupReport CheckEngine::lookup_pdq(const PdqHash& hash, int threshold) const {
  const auto v = view();
  LookupReport r;
  if (!v->set) return r;
  r.set_version = v->set->version();
  // A caller's own hash carries no quality: it is searched as a good one.
  for (const match::SetHit& h : v->matcher->pdq_hits(hash, kPdqDefaultMinQuality, threshold).hits)
    r.matches.push_back(match_of(*v->set, h));
  return r;
}

HitEvent CheckEngine::hit_of(const FileReport& file, const Match& m) {
  HitEvent e;
  e.size = file.size;
  e.file_type = file.type;
  e.kind = m.algorithm == "pdq" ? HitKind::pdq : HitKind::exact;
  e.algorithm = m.algorithm;
  e.hash = m.hash;
  e.list = m.list;
  e.category = m.category;
  if (e.kind == HitKind::pdq) {
    e.pdq_distance = m.distance;
    if (file.quality) e.pdq_quality = static_cast<std::uint32_t>(*file.quality);
  }
  e.set_version = file.set_version;
  return e;
}

std::uint64_t CheckEngine::set_version() const {
  const auto v = view();
  return v->set ? v->set->version() : 0;
}

bool CheckEngine::has_set() const {
  return view()->set != nullptr;
}

std::int64_t CheckEngine::set_created_unix() const {
  const auto v = view();
  return v->set ? v->set->created_unix() : 0;
}

}  // namespace dijk::check
