#pragma once
// The bodies the check API takes, parsed without the HTTP server: the uploaded file (raw, or the file part
// of a multipart/form-data body, split by the wire path's streaming MultipartSplitter), the hash list of
// POST /v1/hashes and the PDQ query of POST /v1/pdq. Everything here is fed hostile bytes by
// tests/fuzz/check (fuzz_check_request) and answers malformed input with a reason, never a crash.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/multipart_splitter.h"
#include "hashcore/digest/algorithm.h"
#include "hashcore/pdq/pdq_hash.h"

namespace dijk::check {

// Collects the file of a POST /v1/check body as it arrives, up to `max_bytes`. A multipart body's file is
// the part named "file", else the first part with a filename; other parts (form fields) are dropped.
class UploadBody : private MultipartHandler {
 public:
  enum class Status { ok, too_large, malformed, no_file };

  UploadBody(std::string_view content_type, std::uint64_t max_bytes);
  UploadBody(const UploadBody&) = delete;
  UploadBody& operator=(const UploadBody&) = delete;

  void feed(std::span<const std::uint8_t> bytes);
  // The body ended: the status, and (when ok) file() is the upload.
  Status finish();
  std::span<const std::uint8_t> file() const { return file_; }
  const std::string& filename() const { return filename_; }
  bool multipart() const { return splitter_.has_value(); }

 private:
  void part_begin(const MultipartPartHeaders& headers) override;
  void part_data(std::span<const std::uint8_t> bytes) override;
  void part_end(bool complete) override;
  void take(std::span<const std::uint8_t> bytes);

  std::uint64_t max_bytes_;
  std::optional<MultipartSplitter> splitter_;
  bool bad_multipart_type_ = false;  // declared multipart without a usable boundary
  bool too_large_ = false;
  // Which part is being kept: none yet, the one open now, or one that already ended.
  enum class Part { none, open, done } part_ = Part::none;
  bool part_is_file_ = false;  // the open part is the one kept
  bool kept_named_ = false;    // the kept part is named "file"
  bool part_incomplete_ = false;
  std::vector<std::uint8_t> file_;
  std::string filename_;
};

const char* upload_status_reason(UploadBody::Status s);

// One entry of a POST /v1/hashes body: either a digest or why it is not one.
struct HashQuery {
  std::string text;  // as sent (cut to 200 bytes for the answer)
  std::optional<Algorithm> algorithm;
  std::string error;  // set when the entry is not a hash
  // The digest in place (no allocation per hash: a /v1/hashes call parses 10,000 of them).
  std::array<std::uint8_t, kMaxDigestSize> digest_bytes{};
  std::size_t digest_size = 0;
  std::span<const std::uint8_t> digest() const { return {digest_bytes.data(), digest_size}; }
};

// {"hashes": ["hex", ...]} where each entry is a hex string (the algorithm follows its length: 32 md5,
// 40 sha1, 64 sha256) or {"algorithm": "sha1", "hash": "hex"}. Bad entries are answered one by one; a body
// that is not that shape, or has more than max_hashes entries, is refused whole (error set).
struct HashListRequest {
  std::vector<HashQuery> hashes;
  std::string error;
};
HashListRequest parse_hash_list(std::string_view body, std::size_t max_hashes);

// One hash given as /v1/hash/{algorithm}/{hex}.
HashQuery parse_hash(std::string_view algorithm, std::string_view hex);

// {"hash": "64 hex digits", "threshold": 31}: threshold is the largest Hamming distance that matches
// (0 to 64, default 31).
struct PdqRequest {
  PdqHash hash;
  int threshold = kPdqDefaultRadius;
  std::string error;
};
PdqRequest parse_pdq_request(std::string_view body);

}  // namespace dijk::check
