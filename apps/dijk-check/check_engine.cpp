#include "apps/dijk-check/check_engine.h"

#include <chrono>

#include "dataplane/filescan/file_matcher.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "hashcore/pdq_index/pdq_index.h"
#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/sniff/file_type.h"
#include "hashcore/util/hex.h"

namespace dijk::check {

struct CheckEngine::View {
  std::uint64_t generation = 0;
  std::shared_ptr<const HashSet> set;  // null: no set installed yet, nothing matches
  PdqIndex pdq;
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
    // A PDQ section that does not validate leaves exact matching working; PDQ then matches nothing.
    if (auto index = pdq_index_of(*next->set)) next->pdq = *index;
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

void search_pdq(const HashSet& set, const PdqIndex& index, const PdqHash& query, int radius,
                std::vector<Match>& out) {
  PdqSearchOptions options;
  options.radius = radius;
  index.search(query, options, [&](const PdqMatch& m) {
    out.push_back(match_of(set, m.list_index, "pdq", index.hash(m.id).to_hex(),
                           static_cast<std::uint32_t>(m.distance)));
  });
}
}  // namespace

FileReport CheckEngine::check_file(std::span<const std::uint8_t> bytes) const {
  const auto v = view();
  FileReport r;
  // All three digests whatever the set holds: the caller gets them in the answer.
  scan::FileHashState state(AlgorithmSet::all());
  state.start({});
  state.consume(bytes);
  r.size = state.bytes_seen();
  const FileType type = state.type();
  r.type = std::string(file_type_name(type));
  const DigestResults digests = state.finish();
  r.md5 = to_hex({digests.get(Algorithm::md5).bytes.data(), digests.get(Algorithm::md5).size()});
  r.sha1 = to_hex({digests.get(Algorithm::sha1).bytes.data(), digests.get(Algorithm::sha1).size()});
  r.sha256 = to_hex({digests.get(Algorithm::sha256).bytes.data(), digests.get(Algorithm::sha256).size()});

  std::optional<PdqResult> pdq;
  if (is_image(type)) {
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
  const MatchOutcome outcome = v->set->match(digests);
  if (outcome.allow_listed) {
    r.allow_listed = true;
    return r;
  }
  for (const ExactHit& h : outcome.hits) {
    r.matches.push_back(match_of(*v->set, h.list_index, std::string(algorithm_name(h.algorithm)),
                                 to_hex({h.digest.bytes.data(), h.digest.size()}), 0));
  }
  // A flat image's hash would match every other flat image: never matched, as on the wire.
  if (pdq && pdq->quality >= kPdqDefaultMinQuality)
    search_pdq(*v->set, v->pdq, pdq->hash, pdq_radius_, r.matches);
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
  search_pdq(*v->set, v->pdq, hash, threshold, r.matches);
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
