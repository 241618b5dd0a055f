#include "dataplane/http/json_string_scanner.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dijk {
namespace {

bool is_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_number_byte(std::uint8_t c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Where the plain bytes of a string end: the first quote, backslash or control byte, or `end`. A base64
// value is megabytes of plain bytes, so with SSE2 (every x86-64) 16 are looked at in one step.
const std::uint8_t* plain_end(const std::uint8_t* q, const std::uint8_t* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
  while (end - q >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    // A byte is a control byte when the unsigned max of it and 0x1f is 0x1f.
    const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                      _mm_cmpeq_epi8(_mm_max_epu8(v, control), control));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (mask != 0) return q + __builtin_ctz(mask);
    q += 16;
  }
#endif
  while (q < end && *q != '"' && *q != '\\' && *q >= 0x20) ++q;
  return q;
}

}  // namespace

JsonStringScanner::Status JsonStringScanner::feed(std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (status_ == Status::ok && p < end) p += step(p, end);
  return status_;
}

JsonStringScanner::Status JsonStringScanner::finish() {
  if (status_ != Status::ok) return status_;
  if (state_ == State::number && depth_ == 0) state_ = State::after_value;  // "12" at the very end
  const bool whole = depth_ == 0 && (state_ == State::after_value || (state_ == State::value && !empty_ok_));
  if (!whole) fail(Status::malformed);
  return status_;
}

void JsonStringScanner::fail(Status s) {
  if (state_ == State::string || state_ == State::escape || state_ == State::unicode) {
    if (!in_key_) handler_.value_end(false);
  }
  status_ = s;
}

void JsonStringScanner::open(bool object) {
  if (depth_ == kMaxDepth) {
    fail(Status::too_deep);
    return;
  }
  if (object) {
    containers_ |= std::uint64_t{1} << depth_;
  } else {
    containers_ &= ~(std::uint64_t{1} << depth_);
  }
  ++depth_;
  state_ = object ? State::key : State::value;
  empty_ok_ = true;
}

void JsonStringScanner::close(bool object) {
  if (depth_ == 0 || in_object() != object) {
    fail(Status::malformed);
    return;
  }
  --depth_;
  value_done();
}

void JsonStringScanner::value_done() {
  state_ = State::after_value;
  empty_ok_ = false;
}

void JsonStringScanner::string_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (!in_key_) {
    handler_.value_data(bytes);
    return;
  }
  const std::size_t room = kMaxKey - std::min(kMaxKey, key_.size());
  key_.append(reinterpret_cast<const char*>(bytes.data()), std::min(room, bytes.size()));
}

void JsonStringScanner::end_string() {
  if (in_key_) {
    state_ = State::colon;
    return;
  }
  handler_.value_end(true);
  value_done();
}

// The plain bytes of a string up to its next quote, backslash or control byte, handed on in one piece.
std::size_t JsonStringScanner::string_run(const std::uint8_t* p, const std::uint8_t* end) {
  const std::uint8_t* q = plain_end(p, end);
  string_bytes({p, static_cast<std::size_t>(q - p)});
  if (q == end) return static_cast<std::size_t>(q - p);
  if (*q == '"') {
    end_string();
  } else if (*q == '\\') {
    state_ = State::escape;
  } else {
    fail(Status::malformed);  // a raw control byte inside a string
  }
  return static_cast<std::size_t>(q - p) + 1;
}

std::size_t JsonStringScanner::step(const std::uint8_t* p, const std::uint8_t* end) {
  const std::uint8_t c = *p;
  switch (state_) {
    case State::string:
      return string_run(p, end);
    case State::escape: {
      static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
      const std::size_t at = kFrom.find(static_cast<char>(c));
      if (c == 'u') {
        state_ = State::unicode;
        unicode_ = 0;
        unicode_digits_ = 0;
      } else if (at != std::string_view::npos) {
        const auto out = static_cast<std::uint8_t>(kTo[at]);
        string_bytes({&out, 1});
        state_ = State::string;
      } else {
        fail(Status::malformed);
      }
      return 1;
    }
    case State::unicode: {
      const int h = hex_value(c);
      if (h < 0) {
        fail(Status::malformed);
        return 1;
      }
      unicode_ = (unicode_ << 4) | static_cast<std::uint32_t>(h);
      if (++unicode_digits_ < 4) return 1;
      // UTF-8 of the code unit; a surrogate half is written on its own (it only matters that a value
      // with one is not base64).
      std::uint8_t out[3];
      std::size_t n = 1;
      if (unicode_ < 0x80) {
        out[0] = static_cast<std::uint8_t>(unicode_);
      } else if (unicode_ < 0x800) {
        out[0] = static_cast<std::uint8_t>(0xc0 | (unicode_ >> 6));
        out[1] = static_cast<std::uint8_t>(0x80 | (unicode_ & 0x3f));
        n = 2;
      } else {
        out[0] = static_cast<std::uint8_t>(0xe0 | (unicode_ >> 12));
        out[1] = static_cast<std::uint8_t>(0x80 | ((unicode_ >> 6) & 0x3f));
        out[2] = static_cast<std::uint8_t>(0x80 | (unicode_ & 0x3f));
        n = 3;
      }
      string_bytes({out, n});
      state_ = State::string;
      return 1;
    }
    case State::literal:
      if (c != static_cast<std::uint8_t>(literal_[literal_at_])) {
        fail(Status::malformed);
      } else if (++literal_at_ == literal_.size()) {
        value_done();
      }
      return 1;
    case State::number:
      if (is_number_byte(c)) return 1;
      value_done();
      return 0;  // this byte belongs to what follows the number
    case State::colon:
      if (is_space(c)) return 1;
      if (c == ':') {
        state_ = State::value;
        empty_ok_ = false;
      } else {
        fail(Status::malformed);
      }
      return 1;
    case State::key:
      if (is_space(c)) return 1;
      if (c == '"') {
        key_.clear();
        in_key_ = true;
        state_ = State::string;
      } else if (c == '}' && empty_ok_) {
        close(true);
      } else {
        fail(Status::malformed);
      }
      return 1;
    case State::after_value:
      if (is_space(c)) return 1;
      if (c == ',' && depth_ > 0) {
        state_ = in_object() ? State::key : State::value;
        empty_ok_ = false;
        return 1;
      }
      if (c == '}' || c == ']') {
        close(c == '}');
        return 1;
      }
      if (depth_ == 0) {
        state_ = State::value;  // another top-level value (JSON lines)
        return 0;
      }
      fail(Status::malformed);
      return 1;
    case State::value:
      if (is_space(c)) return 1;
      switch (c) {
        case '"':
          in_key_ = false;
          state_ = State::string;
          handler_.value_begin(depth_ > 0 ? std::string_view(key_) : std::string_view{});
          return 1;
        case '{':
        case '[':
          open(c == '{');
          return 1;
        case ']':
          if (empty_ok_ && depth_ > 0 && !in_object()) {
            close(false);
          } else {
            fail(Status::malformed);
          }
          return 1;
        case 't':
          literal_ = "true";
          break;
        case 'f':
          literal_ = "false";
          break;
        case 'n':
          literal_ = "null";
          break;
        default:
          if (is_number_byte(c)) {
            state_ = State::number;
            return 1;
          }
          fail(Status::malformed);
          return 1;
      }
      state_ = State::literal;
      literal_at_ = 1;
      return 1;
  }
  return 1;
}

}  // namespace dijk
