#pragma once
// A streaming multipart/form-data splitter (RFC 7578 / RFC 2046): body bytes go in in pieces of any size,
// parts come out as begin / data / end events without the body ever being buffered. Only a delimiter's
// worth of bytes (at most 80) and one part's headers (bounded) are held between calls.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dijk {

struct MultipartPartHeaders {
  std::string name;      // form field name
  std::string filename;  // from Content-Disposition; empty when absent
  bool has_filename = false;
  std::string content_type;  // of the part, as sent
};

class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  virtual void part_begin(const MultipartPartHeaders& headers) = 0;
  virtual void part_data(std::span<const std::uint8_t> bytes) = 0;
  // complete: the part ended with a delimiter; otherwise the body was cut or malformed inside it.
  virtual void part_end(bool complete) = 0;
};

// The boundary parameter of a Content-Type such as `multipart/form-data; boundary="abc"`, or empty when
// the type is not multipart/form-data or has no valid boundary (1-70 characters).
std::string multipart_boundary(std::string_view content_type);

class MultipartSplitter {
 public:
  static constexpr std::size_t kMaxPartHeaderBytes = 8192;

  MultipartSplitter(std::string_view boundary, MultipartHandler& handler);
  void feed(std::span<const std::uint8_t> bytes);
  // Bytes of the body were lost: the open part, if any, ends incomplete; scanning resumes at the next
  // delimiter.
  void gap();
  // The body ended; `body_complete` says whether all of it arrived. False when a complete body was not
  // well-formed multipart (no closing delimiter, bad delimiter line, oversized part headers).
  bool finish(bool body_complete);

  bool malformed() const { return state_ == State::failed; }
  bool done() const { return state_ == State::epilogue; }

 private:
  enum class State : std::uint8_t {
    preamble,
    after_delimiter,
    after_delimiter_dash,
    after_delimiter_cr,
    headers,
    data,
    epilogue,
    failed
  };
  // Scans for the delimiter; bytes before it go to the part (or nowhere, in the preamble).
  std::size_t scan_data(std::span<const std::uint8_t> in);
  std::size_t scan_after_delimiter(std::span<const std::uint8_t> in);
  std::size_t scan_headers(std::span<const std::uint8_t> in);
  void emit(std::span<const std::uint8_t> bytes);
  void on_delimiter();
  void fail();
  bool parse_part_headers();

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartHandler* handler_;
  State state_ = State::preamble;
  bool part_open_ = false;
  std::string carry_;    // tail of the last input that may begin a delimiter
  std::string headers_;  // the current part's header block
  MultipartPartHeaders part_;
};

}  // namespace dijk
