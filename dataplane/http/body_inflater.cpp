#include "dataplane/http/body_inflater.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace dijk {

BodyEncoding body_encoding(std::string_view value) {
  std::string v;
  for (const char c : value) {
    if (c != ' ' && c != '\t') v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (v.empty() || v == "identity") return BodyEncoding::identity;
  if (v == "gzip" || v == "x-gzip") return BodyEncoding::gzip;
  if (v == "deflate") return BodyEncoding::deflate;
  return BodyEncoding::unsupported;
}

BodyInflater::BodyInflater(BodyEncoding encoding, InflateLimits limits)
    : encoding_(encoding), limits_(limits) {
  if (encoding_ != BodyEncoding::gzip && encoding_ != BodyEncoding::deflate) status_ = Status::malformed;
}

BodyInflater::~BodyInflater() {
  if (started_) inflateEnd(&stream_);
}

bool BodyInflater::start(int window_bits) {
  if (inflateInit2(&stream_, window_bits) != Z_OK) {
    fail(Status::malformed);
    return false;
  }
  started_ = true;
  return true;
}

std::size_t BodyInflater::step() {
  stream_.next_out = buffer_.data();
  stream_.avail_out = static_cast<uInt>(buffer_.size());
  const int rc = inflate(&stream_, Z_NO_FLUSH);
  const std::size_t made = buffer_.size() - stream_.avail_out;
  if (rc == Z_STREAM_END) {
    finished_ = true;
  } else if (rc == Z_BUF_ERROR) {
    // No progress possible: zlib needs more input than it has. Not an error mid-stream.
  } else if (rc != Z_OK) {
    fail(Status::malformed);  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR
  }
  return made;
}

}  // namespace dijk
