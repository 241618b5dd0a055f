#pragma once
// The string values of a JSON request body, with the key each belongs to, found as the body streams in
// pieces of any size: the wire path looks for base64 images in them ({"image": "<base64>"}), and a body
// may be tens of megabytes.
//
// Why not simdjson (or any DOM or on-demand parser): they need the whole document in memory (simdjson's
// On-Demand API too: it indexes a padded buffer holding all of it), and a 50 MB upload would have to sit
// in a worker's memory until its last segment. This scanner is a state machine fed chunk by chunk that
// keeps no more than its position, a bit per open container (up to kMaxDepth) and the current key (at
// most kMaxKey bytes). It checks the grammar as far as a scanner must to know keys from values (strings,
// numbers, true/false/null, brackets, commas, colons; numbers are checked loosely) and hands the bytes of
// each string value to a handler as they come, unescaped (\n, \/, \uXXXX as UTF-8), without copying
// them. Several top-level values one after another (JSON lines) are allowed.
//
// Malformed JSON or nesting deeper than kMaxDepth stops the scan: a string value in progress is ended as
// incomplete, and nothing after it is looked at.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dijk {

class JsonStringHandler {
 public:
  virtual ~JsonStringHandler() = default;
  // A string value begins. `key`: the member name it belongs to (for an array element, the last key
  // seen); empty at the top level.
  virtual void value_begin(std::string_view key) = 0;
  // Some of its bytes, unescaped. Only valid during the call.
  virtual void value_data(std::span<const std::uint8_t> bytes) = 0;
  // complete: its closing quote was seen. Otherwise the JSON broke or ended inside it.
  virtual void value_end(bool complete) = 0;
};

class JsonStringScanner {
 public:
  enum class Status : std::uint8_t { ok, malformed, too_deep };
  static constexpr std::uint32_t kMaxDepth = 64;
  static constexpr std::size_t kMaxKey = 256;  // longer keys are cut (they only name files)

  explicit JsonStringScanner(JsonStringHandler& handler) : handler_(handler) {}

  Status feed(std::span<const std::uint8_t> bytes);
  // The body ended. A document left open (inside a value, a container, a literal) is malformed.
  Status finish();
  Status status() const { return status_; }

 private:
  enum class State : std::uint8_t {
    value,        // a value is expected (or, right after "[", a "]")
    after_value,  // "," or a closing bracket (or, at the top level, another value)
    key,          // a key string is expected (or, right after "{", a "}")
    colon,        // ":" after a key
    string,       // inside a string: a key's or a value's
    escape,       // after "\" inside a string
    unicode,      // inside \uXXXX
    literal,      // inside true / false / null
    number,
  };

  std::size_t step(const std::uint8_t* p, const std::uint8_t* end);
  std::size_t string_run(const std::uint8_t* p, const std::uint8_t* end);
  void string_bytes(std::span<const std::uint8_t> bytes);
  void end_string();
  void open(bool object);
  void close(bool object);
  void value_done();
  void fail(Status s);
  bool in_object() const { return depth_ > 0 && (containers_ >> (depth_ - 1)) & 1u; }

  JsonStringHandler& handler_;
  Status status_ = Status::ok;
  State state_ = State::value;
  bool in_key_ = false;           // the string in progress is a key
  bool empty_ok_ = false;         // a closing bracket may come now ("[]", "{}")
  std::uint64_t containers_ = 0;  // bit d: the container at depth d+1 is an object
  std::uint32_t depth_ = 0;
  std::string key_;
  std::uint32_t unicode_ = 0;  // \u code point so far
  std::uint8_t unicode_digits_ = 0;
  std::string_view literal_;  // the literal being matched, and how far
  std::uint8_t literal_at_ = 0;
};

}  // namespace dijk
