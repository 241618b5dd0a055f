#pragma once
// Names dijk prints (file names, paths, URIs, hosts) come from a disk or an uploader: any bytes at all.
// These two functions are the one place that makes such bytes safe to print. Every printer of a name
// goes through one of them (JSON through json_string in dataplane/events/json_text.h, which uses the
// first; text lines through the second).
#include <string>
#include <string_view>

namespace dijk {

// The bytes as valid UTF-8: each byte that is not part of a well-formed UTF-8 sequence (stray
// continuation, truncated sequence, overlong form, surrogate, above U+10FFFF) becomes U+FFFD. Valid
// input comes back unchanged.
std::string valid_utf8(std::string_view bytes);

// The bytes as one line of plain text a terminal shows as text, in the style of `ls -b`: backslash
// becomes "\\", tab/newline/carriage return "\t" "\n" "\r", every other control character (C0, DEL,
// C1) and every byte outside well-formed UTF-8 "\xNN" (per byte, lower-case hex). Valid printable
// UTF-8 passes through, so an escaped name can neither forge a new line nor drive the terminal.
std::string printable_text(std::string_view bytes);

// One CSV field (RFC 4180): quoted, with inner quotes doubled, when it holds a comma, quote, CR or LF;
// otherwise unchanged. The bytes are not otherwise altered: a reader of the CSV gets them back as given.
std::string csv_field(std::string_view bytes);

}  // namespace dijk
