#pragma once
// A request body sent with Content-Encoding gzip or deflate, inflated with zlib as it streams, so the file
// inside is hashed as what it is. An uploader chooses the encoding: a compressed body is no boundary.
// Inflating is bounded twice: the output size (a file past it is cut short) and the ratio of output to
// input (a decompression bomb). A body past either bound, or one zlib cannot decode, is truncated: its
// file is counted and never matched.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace dijk {

enum class BodyEncoding : std::uint8_t { identity, gzip, deflate, unsupported };

// The Content-Encoding header's meaning: empty or "identity" -> identity; "gzip", "x-gzip" -> gzip;
// "deflate" -> deflate; anything else (br, zstd, a list of several) -> unsupported.
BodyEncoding body_encoding(std::string_view content_encoding);

struct InflateLimits {
  std::uint64_t max_output = 64ull << 20;  // bytes of inflated body
  std::uint32_t max_ratio = 100;           // output : input, checked once the output passes ratio_floor
  std::uint64_t ratio_floor = 1ull << 20;  // small bodies may compress well (text): no ratio check below
};

class BodyInflater {
 public:
  enum class Status : std::uint8_t { ok, over_size, over_ratio, malformed };

  BodyInflater(BodyEncoding encoding, InflateLimits limits);  // encoding: gzip or deflate
  ~BodyInflater();
  BodyInflater(const BodyInflater&) = delete;
  BodyInflater& operator=(const BodyInflater&) = delete;

  // Inflates `in`, handing each piece of output to out(std::span<const std::uint8_t>). Once the status is
  // not ok it stays so, and nothing more is inflated.
  template <typename Out>
  Status feed(std::span<const std::uint8_t> in, Out&& out);

  Status status() const { return status_; }
  // The compressed stream ended properly (gzip: at least one whole member).
  bool finished() const { return finished_; }
  std::uint64_t bytes_in() const { return in_total_; }
  std::uint64_t bytes_out() const { return out_total_; }

 private:
  // Inflates what is left in stream_ into buffer_; returns the bytes made (0: needs input or ended).
  std::size_t step();
  bool start(int window_bits);
  void fail(Status s) { status_ = s; }

  BodyEncoding encoding_;
  InflateLimits limits_;
  z_stream stream_{};
  bool started_ = false;
  bool finished_ = false;
  Status status_ = Status::ok;
  // HTTP "deflate" is meant to be zlib-wrapped, but some clients send raw deflate: the first two bytes
  // say which, so they wait here until both are in.
  std::array<std::uint8_t, 2> head_{};
  std::size_t head_len_ = 0;
  std::uint64_t in_total_ = 0, out_total_ = 0;
  std::array<std::uint8_t, 16 * 1024> buffer_{};
};

template <typename Out>
BodyInflater::Status BodyInflater::feed(std::span<const std::uint8_t> in, Out&& out) {
  if (status_ != Status::ok || in.empty()) return status_;
  if (!started_) {
    if (encoding_ == BodyEncoding::deflate) {
      while (head_len_ < head_.size() && !in.empty()) {
        head_[head_len_++] = in.front();
        in = in.subspan(1);
      }
      if (head_len_ < head_.size()) return status_;
      // A zlib header: compression method 8 and a header checksum that divides by 31.
      const bool zlib_wrapped = (head_[0] & 0x0f) == 8 && ((head_[0] << 8) | head_[1]) % 31 == 0;
      if (!start(zlib_wrapped ? 15 : -15)) return status_;
      const auto head = head_;
      head_len_ = 0;
      if (feed(std::span<const std::uint8_t>(head.data(), head.size()), out) != Status::ok || in.empty())
        return status_;
    } else if (!start(15 + 16)) {
      return status_;
    }
  }
  in_total_ += in.size();
  stream_.next_in = const_cast<Bytef*>(in.data());  // zlib's API is not const; it only reads
  stream_.avail_in = static_cast<uInt>(in.size());
  bool pending = false;  // the last step filled the buffer: zlib may hold more output
  while (status_ == Status::ok) {
    if (finished_) {
      // Bytes after the end of the stream: gzip allows another member; deflate's trailing bytes are ignored.
      if (stream_.avail_in == 0 || encoding_ != BodyEncoding::gzip) break;
      if (inflateReset(&stream_) != Z_OK) fail(Status::malformed);
      finished_ = false;
      continue;
    }
    if (stream_.avail_in == 0 && !pending) break;
    const std::size_t made = step();
    pending = stream_.avail_out == 0;
    const std::uint64_t room = limits_.max_output - out_total_;
    const std::size_t give = static_cast<std::size_t>(std::min<std::uint64_t>(made, room));
    out_total_ += give;
    if (give > 0) out(std::span<const std::uint8_t>(buffer_.data(), give));
    if (give < made) {
      fail(Status::over_size);
    } else if (out_total_ > limits_.ratio_floor &&
               out_total_ > static_cast<std::uint64_t>(limits_.max_ratio) * in_total_) {
      fail(Status::over_ratio);
    } else if (made == 0 && !pending && !finished_) {
      break;  // zlib needs more input
    }
  }
  stream_.next_in = nullptr;
  stream_.avail_in = 0;
  return status_;
}

}  // namespace dijk
