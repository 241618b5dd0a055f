#pragma once
// The values of an application/x-www-form-urlencoded body (name=value&name=value), with their names, found
// as the body streams in pieces of any size: the wire path looks for base64 images in them
// (`curl --data-urlencode image@photo.b64`). Percent escapes are undone, also when split across pieces.
// "+" is kept as "+", not made a space: a value that is base64 is what matters here, and an uploader that
// did not escape its "+" still means one (servers commonly put them back before decoding).
//
// Only a body that is really a form is scanned: a byte no form can hold (a control byte other than CR,
// LF or tab, or one past ASCII: what `curl --data-binary @photo.jpg` sends under this label) ends the
// scan; the value in progress, if any, is ended as incomplete. Nothing is held but the current name (at
// most kMaxName bytes) and a half-read escape.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dataplane/http/json_string_scanner.h"

namespace dijk {

class FormValueScanner {
 public:
  static constexpr std::size_t kMaxName = 256;  // longer names are cut (they only name files)

  // Values are reported as a JSON scanner reports string values: begin (with the name), data, end.
  explicit FormValueScanner(JsonStringHandler& handler) : handler_(handler) {}

  // false once the body turned out not to be a form (nothing more is scanned).
  bool feed(std::span<const std::uint8_t> bytes);
  // The body ended: the last value is complete (unless the body was cut: complete = false).
  void finish(bool complete);
  bool is_form() const { return form_; }

 private:
  void byte(std::uint8_t c);                      // one decoded byte of a name or value
  void run(std::span<const std::uint8_t> bytes);  // decoded bytes of a value, in one piece
  void separator(std::uint8_t c);                 // a raw "=" or "&"
  void stop();

  JsonStringHandler& handler_;
  bool form_ = true;
  bool in_value_ = false;
  std::string name_;
  std::uint8_t escape_ = 0;  // 0, or 1-2: hex digits of a "%" read so far
  std::uint8_t escape_value_ = 0;
};

}  // namespace dijk
