#include "dataplane/http/form_value_scanner.h"

namespace dijk {
namespace {

bool form_byte(std::uint8_t c) {
  return (c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n' || c == '\t';
}

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool FormValueScanner::feed(std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (form_ && p < end) {
    if (escape_ == 0 && in_value_) {
      // The bulk of a long value: plain bytes handed on in one piece.
      const std::uint8_t* q = p;
      while (q < end && *q != '%' && *q != '&' && *q != '=' && form_byte(*q)) ++q;
      if (q > p) run({p, static_cast<std::size_t>(q - p)});
      p = q;
      if (p == end) break;
    }
    const std::uint8_t c = *p++;
    if (!form_byte(c)) {
      stop();
    } else if (escape_ > 0) {
      const int h = hex_value(c);
      if (h < 0) {
        // Not an escape after all ("100%" in a text field): the bytes stand as they are.
        const bool had_digit = escape_ == 2;
        escape_ = 0;
        byte('%');
        if (had_digit) byte(static_cast<std::uint8_t>("0123456789ABCDEF"[escape_value_ & 0x0f]));
        --p;
        continue;
      }
      escape_value_ = static_cast<std::uint8_t>((escape_value_ << 4) | h);
      if (++escape_ == 3) {
        escape_ = 0;
        byte(escape_value_);
      }
    } else if (c == '%') {
      escape_ = 1;
      escape_value_ = 0;
    } else if (c == '&' || (c == '=' && !in_value_)) {
      separator(c);
    } else {
      byte(c);
    }
  }
  return form_;
}

void FormValueScanner::byte(std::uint8_t c) {
  if (in_value_) {
    run({&c, 1});
  } else if (name_.size() < kMaxName) {
    name_.push_back(static_cast<char>(c));
  }
}

void FormValueScanner::run(std::span<const std::uint8_t> bytes) {
  handler_.value_data(bytes);
}

void FormValueScanner::separator(std::uint8_t c) {
  if (c == '=') {
    in_value_ = true;
    handler_.value_begin(name_);
    return;
  }
  if (in_value_) handler_.value_end(true);
  in_value_ = false;  // "&": a new name follows (a name without "=" has no value)
  name_.clear();
}

void FormValueScanner::stop() {
  if (in_value_) handler_.value_end(false);
  in_value_ = false;
  form_ = false;
}

void FormValueScanner::finish(bool complete) {
  if (!form_) return;
  if (escape_ > 0 && in_value_) {
    complete = false;  // the body ended inside an escape
  }
  if (in_value_) handler_.value_end(complete);
  in_value_ = false;
  escape_ = 0;
}

}  // namespace dijk
