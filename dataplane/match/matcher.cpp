#include "dataplane/match/matcher.h"

#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/util/hex.h"

namespace dijk::match {

HitEvent make_hit(const FileContext& where, std::uint64_t size, std::string_view file_type,
                  const SetHit& what, const HashSet& set) {
  HitEvent e;
  e.time_ns = where.time_ns;
  e.source = where.source;
  e.flow = where.flow;
  e.method = where.method;
  e.host = where.host;
  e.uri = where.uri;
  e.filename = where.filename;
  e.path = where.path;
  e.file_stat = where.file_stat;
  e.size = size;
  e.file_type = std::string(file_type);
  e.kind = what.kind;
  e.algorithm = what.algorithm;
  e.hash = what.hash;
  if (what.list_index < set.lists().size()) {
    e.list = set.list(what.list_index).name;
    e.category = set.list(what.list_index).category;
  }
  e.pdq_distance = what.pdq_distance;
  e.pdq_quality = what.pdq_quality;
  e.set_version = set.version();
  return e;
}

Matcher::Matcher(std::shared_ptr<const HashSet> set) : set_(std::move(set)) {}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

bool Matcher::load_pdq(std::string* error) {
  index_ = pdq_index_of(*set_, error);
  return index_.has_value();
}

ExactHits Matcher::exact_hits(const FileFingerprint& file) const {
  ExactHits out;
  if (file.digests.computed.empty()) return out;
  const MatchOutcome outcome = set_->match(file.digests);
  out.allow_listed = outcome.allow_listed;
  if (out.allow_listed) return out;
  out.hits.reserve(outcome.hits.size());
  for (const ExactHit& h : outcome.hits) {
    SetHit s;
    s.kind = HitKind::exact;
    s.algorithm = std::string(algorithm_name(h.algorithm));
    s.hash = to_hex({h.digest.bytes.data(), h.digest.size()});
    s.list_index = h.list_index;
    out.hits.push_back(std::move(s));
  }
  return out;
}

PdqHits Matcher::pdq_hits(const PdqHash& hash, int quality, int radius) const {
  PdqHits out;
  if (quality < kPdqDefaultMinQuality) {
    out.look = PdqLook::low_quality;
    return out;
  }
  out.look = PdqLook::searched;
  if (!has_pdq()) return out;
  index_->search(hash, {.radius = radius, .min_quality = 0}, [&](const PdqMatch& m) {
    SetHit s;
    s.kind = HitKind::pdq;
    s.algorithm = "pdq";
    s.hash = index_->hash(m.id).to_hex();  // the listed hash that matched
    s.list_index = m.list_index;
    s.pdq_distance = static_cast<std::uint32_t>(m.distance);
    s.pdq_quality = static_cast<std::uint32_t>(quality);
    out.hits.push_back(std::move(s));
  });
  return out;
}

CheckResult Matcher::settle(FileFingerprint fingerprint, std::span<const std::uint8_t> image, ImageCopy copy,
                            const FileContext& where, PdqHasher* hasher, int radius) const {
  CheckResult r;
  r.fingerprint = std::move(fingerprint);
  const std::string_view type = file_type_name(r.fingerprint.type);
  ExactHits exact = exact_hits(r.fingerprint);
  r.allow_listed = exact.allow_listed;
  for (const SetHit& h : exact.hits) r.hits.push_back(make_hit(where, r.fingerprint.size, type, h, *set_));
  // A file a digest settled (a hit, or allow-listed) needs no perceptual look: PDQ would only report the
  // same file again, or report an image the hotline has declared benign.
  if (r.allow_listed || !r.hits.empty() || hasher == nullptr || !has_pdq() || !is_image(r.fingerprint.type))
    return r;
  if (copy != ImageCopy::kept) {
    r.pdq = PdqLook::too_large;
    return r;
  }
  const auto pdq = hasher->hash_file_bytes(image);
  if (!pdq) {
    r.pdq = PdqLook::undecodable;
    return r;
  }
  r.pdq_hash = pdq;
  PdqHits found = pdq_hits(pdq->hash, pdq->quality, radius);
  r.pdq = found.look;
  for (const SetHit& h : found.hits) r.hits.push_back(make_hit(where, r.fingerprint.size, type, h, *set_));
  return r;
}

CheckResult Matcher::hits_for(FileFingerprinter& file, const FileContext& where, PdqHasher* hasher,
                              int radius) const {
  FileFingerprint fingerprint = file.finish();
  return settle(std::move(fingerprint), file.image(), file.image_copy(), where, hasher, radius);
}

}  // namespace dijk::match
