#include "apps/dijk-check/request_body.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "hashcore/util/hex.h"

namespace dijk::check {

namespace {
constexpr std::size_t kMaxEchoBytes = 200;  // of a bad hash echoed back in an answer

bool is_multipart_type(std::string_view content_type) {
  constexpr std::string_view kPrefix = "multipart/";
  if (content_type.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(content_type[i])) != kPrefix[i]) return false;
  }
  return true;
}
}  // namespace

UploadBody::UploadBody(std::string_view content_type, std::uint64_t max_bytes) : max_bytes_(max_bytes) {
  if (!is_multipart_type(content_type)) return;  // anything else is the file itself
  const std::string boundary = multipart_boundary(content_type);
  if (boundary.empty()) {
    bad_multipart_type_ = true;
    return;
  }
  splitter_.emplace(boundary, static_cast<MultipartHandler&>(*this));
}

void UploadBody::take(std::span<const std::uint8_t> bytes) {
  if (too_large_) return;
  if (file_.size() + bytes.size() > max_bytes_) {
    too_large_ = true;
    file_.clear();
    file_.shrink_to_fit();
    return;
  }
  file_.insert(file_.end(), bytes.begin(), bytes.end());
}

void UploadBody::feed(std::span<const std::uint8_t> bytes) {
  if (bad_multipart_type_) return;
  if (splitter_) {
    splitter_->feed(bytes);
  } else {
    take(bytes);
  }
}

void UploadBody::part_begin(const MultipartPartHeaders& headers) {
  // The part named "file" wins over an earlier part that merely had a filename.
  const bool named_file = headers.name == "file";
  const bool candidate = named_file || headers.has_filename;
  part_is_file_ = false;
  if (!candidate) return;
  // Keep the first candidate, unless a later part is the one named "file" and the kept one was not.
  if (part_ == Part::done && (kept_named_ || !named_file)) return;
  kept_named_ = named_file;
  file_.clear();
  too_large_ = false;
  part_incomplete_ = false;
  filename_ = headers.filename;
  part_is_file_ = true;
  part_ = Part::open;
}

void UploadBody::part_data(std::span<const std::uint8_t> bytes) {
  if (part_is_file_) take(bytes);
}

void UploadBody::part_end(bool complete) {
  if (!part_is_file_) return;
  part_is_file_ = false;
  part_ = Part::done;
  if (!complete) part_incomplete_ = true;
}

UploadBody::Status UploadBody::finish() {
  if (bad_multipart_type_) return Status::malformed;
  if (too_large_) return Status::too_large;
  if (!splitter_) return Status::ok;
  const bool well_formed = splitter_->finish(true);
  if (too_large_) return Status::too_large;
  if (!well_formed || part_incomplete_) return Status::malformed;
  return part_ == Part::done ? Status::ok : Status::no_file;
}

const char* upload_status_reason(UploadBody::Status s) {
  switch (s) {
    case UploadBody::Status::ok:
      return "ok";
    case UploadBody::Status::too_large:
      return "the file is larger than check_api.max_body_mb";
    case UploadBody::Status::malformed:
      return "the multipart/form-data body is malformed (boundary, delimiters or part headers)";
    case UploadBody::Status::no_file:
      return "the multipart/form-data body has no file part (a part named \"file\" or with a filename)";
  }
  return "malformed";
}

HashQuery parse_hash(std::string_view algorithm, std::string_view hex) {
  HashQuery q;
  q.text = std::string(hex.substr(0, kMaxEchoBytes));
  if (!algorithm.empty()) {
    q.algorithm = algorithm_from_name(algorithm);
    if (!q.algorithm) {
      q.error = "unknown algorithm (md5, sha1 or sha256)";
      return q;
    }
  } else {
    q.algorithm = algorithm_from_hex_length(hex.size());
    if (!q.algorithm) {
      q.error = "not a hash: 32 (md5), 40 (sha1) or 64 (sha256) hex digits";
      return q;
    }
  }
  if (hex.size() != 2 * digest_size(*q.algorithm)) {
    q.error = "wrong length for " + std::string(algorithm_name(*q.algorithm));
    q.algorithm.reset();
    return q;
  }
  q.digest_size = digest_size(*q.algorithm);
  if (!from_hex_into(hex, std::span<std::uint8_t>(q.digest_bytes.data(), q.digest_size))) {
    q.error = "not hex";
    q.algorithm.reset();
    q.digest_size = 0;
  }
  return q;
}

HashListRequest parse_hash_list(std::string_view body, std::size_t max_hashes) {
  HashListRequest r;
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    r.error = "the body is not JSON";
    return r;
  }
  if (!doc.is_object() || !doc.contains("hashes") || !doc["hashes"].is_array()) {
    r.error = "expected {\"hashes\": [...]}";
    return r;
  }
  const auto& list = doc["hashes"];
  if (list.size() > max_hashes) {
    r.error = "more than " + std::to_string(max_hashes) + " hashes in one request";
    return r;
  }
  r.hashes.reserve(list.size());
  for (const auto& entry : list) {
    if (entry.is_string()) {
      r.hashes.push_back(parse_hash("", entry.get_ref<const std::string&>()));
    } else if (entry.is_object() && entry.contains("hash") && entry["hash"].is_string() &&
               (!entry.contains("algorithm") || entry["algorithm"].is_string())) {
      const std::string algorithm = entry.value("algorithm", std::string());
      r.hashes.push_back(parse_hash(algorithm, entry["hash"].get_ref<const std::string&>()));
    } else {
      HashQuery q;
      q.text = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, kMaxEchoBytes);
      q.error = "an entry must be a hex string or {\"algorithm\", \"hash\"}";
      r.hashes.push_back(std::move(q));
    }
  }
  return r;
}

PdqRequest parse_pdq_request(std::string_view body) {
  PdqRequest r;
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    r.error = "expected a JSON object {\"hash\": \"<64 hex digits>\", \"threshold\": 31}";
    return r;
  }
  if (!doc.contains("hash") || !doc["hash"].is_string()) {
    r.error = "\"hash\" must be a PDQ hash: 64 hex digits";
    return r;
  }
  const auto hash = PdqHash::from_hex(doc["hash"].get_ref<const std::string&>());
  if (!hash) {
    r.error = "\"hash\" must be a PDQ hash: 64 hex digits";
    return r;
  }
  r.hash = *hash;
  if (doc.contains("threshold")) {
    const auto& t = doc["threshold"];
    if (!t.is_number_integer() || t.get<std::int64_t>() < 0 || t.get<std::int64_t>() > 64) {
      r.error = "\"threshold\" must be an integer from 0 to 64";
      return r;
    }
    r.threshold = static_cast<int>(t.get<std::int64_t>());
  }
  return r;
}

}  // namespace dijk::check
