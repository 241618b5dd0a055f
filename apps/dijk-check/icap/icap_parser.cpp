#include "apps/dijk-check/icap/icap_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dijk::icap {
namespace {

constexpr std::uint64_t kMaxChunk = std::uint64_t{1} << 40;  // larger than any body we would accept
constexpr std::uint64_t kMaxPreview = 1 << 20;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 15) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "Allow: 204" may list several codes: "204, 206".
bool lists_204(std::string_view value) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (trim(value.substr(0, comma)) == "204") return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool is_body_entry(std::string_view name) {
  return name == "req-body" || name == "res-body" || name == "null-body" || name == "opt-body";
}

}  // namespace

std::optional<std::string_view> IcapRequestHead::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

IcapParser::IcapParser(IcapHandler& handler, IcapLimits limits) : handler_(handler), limits_(limits) {}

void IcapParser::fail(std::string reason) {
  if (failed_) return;
  failed_ = true;
  error_ = std::move(reason);
}

void IcapParser::feed(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty() && !failed_) {
    std::size_t used = 0;
    switch (phase_) {
      case Phase::head:
        used = take_head(bytes);
        break;
      case Phase::http_head:
        used = take_http_head(bytes);
        break;
      case Phase::chunk_size:
        used = take_chunk_size(bytes);
        break;
      case Phase::chunk_data:
        used = take_chunk_data(bytes);
        break;
      case Phase::chunk_data_end:
        used = take_crlf(bytes, Phase::chunk_size);
        break;
      case Phase::last_chunk_end:
        used = take_crlf(bytes, Phase::done);
        break;
      case Phase::done:
        break;
    }
    bytes = bytes.subspan(used);
  }
}

std::size_t IcapParser::take_head(std::span<const std::uint8_t> in) {
  const std::size_t before = buffer_.size();
  // Look for the blank line from a little before the new bytes: "\r\n\r\n" may straddle two reads.
  const std::size_t room = limits_.max_head + 4 - before;
  const std::size_t n = std::min(in.size(), room);
  buffer_.append(reinterpret_cast<const char*>(in.data()), n);
  const std::size_t end = buffer_.find("\r\n\r\n", before < 3 ? 0 : before - 3);
  if (end == std::string::npos) {
    if (buffer_.size() > limits_.max_head)
      fail("ICAP headers longer than " + std::to_string(limits_.max_head) + " bytes");
    return n;
  }
  const std::size_t used = end + 4 - before;
  const std::string text = buffer_.substr(0, end);
  buffer_.clear();
  if (!parse_head(text)) return used;
  handler_.request_head(head_);
  if (head_.http_head_size > 0) {
    phase_ = Phase::http_head;
  } else {
    after_http_head();
  }
  return used;
}

bool IcapParser::parse_head(std::string_view text) {
  head_ = IcapRequestHead{};
  std::size_t line_end = text.find("\r\n");
  const std::string_view request_line = text.substr(0, line_end);
  // METHOD SP URI SP ICAP/1.0
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail("the request line is not 'METHOD URI ICAP/1.0'");
    return false;
  }
  head_.method = std::string(request_line.substr(0, sp1));
  head_.uri = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  const std::string_view version = request_line.substr(sp2 + 1);
  if (head_.method.empty() || !std::all_of(head_.method.begin(), head_.method.end(), is_token_char)) {
    fail("the method is not a token");
    return false;
  }
  if (version != "ICAP/1.0") {
    fail("the version is not ICAP/1.0");
    return false;
  }
  std::string_view path = head_.uri;
  if (path.starts_with("icap://") || path.starts_with("ICAP://")) {
    path.remove_prefix(7);
    const std::size_t slash = path.find('/');
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  if (!path.starts_with('/')) {
    fail("the URI is not icap://host/service");
    return false;
  }
  path.remove_prefix(1);
  head_.service = std::string(path.substr(0, path.find('?')));

  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = text.find("\r\n", start);
    const std::string_view line =
        text.substr(start, line_end == std::string_view::npos ? text.npos : line_end - start);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      fail("folded header lines are not accepted");
      return false;
    }
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), is_token_char)) {
      fail("a header line is not 'Name: value'");
      return false;
    }
    // RFC 9110 field values: no control characters but tab. A NUL or a bare CR could make the proxy and
    // us read a different header than each other.
    if (std::any_of(line.begin() + static_cast<std::ptrdiff_t>(colon) + 1, line.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && u != '\t') || u == 0x7f;
        })) {
      fail("a header value holds a control character");
      return false;
    }
    if (head_.headers.size() == limits_.max_headers) {
      fail("more than " + std::to_string(limits_.max_headers) + " headers");
      return false;
    }
    head_.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }

  if (const auto preview = head_.header("Preview")) {
    std::uint64_t n = 0;
    if (!parse_decimal(*preview, n) || n > kMaxPreview) {
      fail("Preview is not a size up to " + std::to_string(kMaxPreview));
      return false;
    }
    head_.preview = n;
  }
  if (const auto allow = head_.header("Allow")) head_.allow_204 = lists_204(*allow);
  if (const auto connection = head_.header("Connection")) head_.close = iequals(trim(*connection), "close");

  const auto encapsulated = head_.header("Encapsulated");
  if (!encapsulated) {
    if (head_.method == "OPTIONS") return true;  // no body, as null-body=0
    fail("Encapsulated header missing");
    return false;
  }
  std::string_view list = *encapsulated;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view entry = trim(list.substr(0, comma));
    const std::size_t eq = entry.find('=');
    EncapsulatedEntry e;
    if (eq == std::string_view::npos || !parse_decimal(entry.substr(eq + 1), e.offset)) {
      fail("Encapsulated entry '" + std::string(entry.substr(0, 64)) + "' is not name=offset");
      return false;
    }
    e.name = std::string(entry.substr(0, eq));
    const bool known = e.name == "req-hdr" || e.name == "res-hdr" || is_body_entry(e.name);
    const bool ascending =
        head_.encapsulated.empty() ? e.offset == 0 : e.offset > head_.encapsulated.back().offset;
    if (!known || !ascending || head_.encapsulated.size() == 4) {
      fail("Encapsulated is not a list of known sections at ascending offsets from 0");
      return false;
    }
    head_.encapsulated.push_back(std::move(e));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (head_.encapsulated.empty() || !is_body_entry(head_.encapsulated.back().name) ||
      std::count_if(head_.encapsulated.begin(), head_.encapsulated.end(),
                    [](const EncapsulatedEntry& x) { return is_body_entry(x.name); }) != 1) {
    fail("Encapsulated must end with exactly one body section (req-body, res-body or null-body)");
    return false;
  }
  const EncapsulatedEntry& body = head_.encapsulated.back();
  if (body.name == "opt-body") {
    fail("OPTIONS request bodies are not supported");
    return false;
  }
  head_.http_head_size = body.offset;
  if (head_.http_head_size > limits_.max_http_head) {
    fail("the encapsulated HTTP head is longer than " + std::to_string(limits_.max_http_head) + " bytes");
    return false;
  }
  head_.has_body = body.name != "null-body";
  return true;
}

std::size_t IcapParser::take_http_head(std::span<const std::uint8_t> in) {
  const std::size_t n = std::min<std::size_t>(in.size(), head_.http_head_size - buffer_.size());
  buffer_.append(reinterpret_cast<const char*>(in.data()), n);
  if (buffer_.size() == head_.http_head_size) {
    const std::string head = std::move(buffer_);
    buffer_.clear();
    handler_.http_head(head);
    after_http_head();
  }
  return n;
}

void IcapParser::after_http_head() {
  if (!head_.has_body) {
    end_request(false);
    return;
  }
  in_preview_ = head_.preview.has_value();
  preview_bytes_ = 0;
  phase_ = Phase::chunk_size;
}

bool IcapParser::take_line(std::span<const std::uint8_t> in, std::size_t& used, std::size_t max,
                           std::string& line) {
  const auto* begin = reinterpret_cast<const char*>(in.data());
  const std::string_view view(begin, in.size());
  const std::size_t lf = view.find('\n');
  used = lf == std::string_view::npos ? in.size() : lf + 1;
  buffer_.append(begin, used);
  if (buffer_.size() > max) {
    fail("a chunk-size line longer than " + std::to_string(max) + " bytes");
    return false;
  }
  if (lf == std::string_view::npos) return false;
  if (buffer_.size() < 2 || buffer_[buffer_.size() - 2] != '\r') {
    fail("a chunk-size line does not end with CRLF");
    return false;
  }
  line = buffer_.substr(0, buffer_.size() - 2);
  buffer_.clear();
  return true;
}

std::size_t IcapParser::take_chunk_size(std::span<const std::uint8_t> in) {
  std::size_t used = 0;
  std::string line;
  if (!take_line(in, used, limits_.max_chunk_line, line)) return used;
  std::string_view size_text = line;
  std::string_view extension;
  if (const std::size_t semi = size_text.find(';'); semi != std::string_view::npos) {
    extension = trim(size_text.substr(semi + 1));
    size_text = size_text.substr(0, semi);
  }
  size_text = trim(size_text);
  std::uint64_t size = 0;
  const auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
  if (size_text.empty() || ec != std::errc() || end != size_text.data() + size_text.size() ||
      size > kMaxChunk) {
    fail("a chunk size is not hexadecimal (or is too large)");
    return used;
  }
  const bool ieof = iequals(extension, "ieof");
  if (size == 0) {
    last_chunk_ieof_ = ieof;
    phase_ = Phase::last_chunk_end;
    return used;
  }
  if (ieof) {
    fail("ieof on a chunk that is not the last");
    return used;
  }
  if (in_preview_) {
    preview_bytes_ += size;
    if (preview_bytes_ > *head_.preview) {
      fail("the preview is longer than the " + std::to_string(*head_.preview) + " bytes announced");
      return used;
    }
  }
  chunk_left_ = size;
  phase_ = Phase::chunk_data;
  return used;
}

std::size_t IcapParser::take_chunk_data(std::span<const std::uint8_t> in) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), chunk_left_));
  handler_.body_data(in.first(n));
  chunk_left_ -= n;
  if (chunk_left_ == 0) phase_ = Phase::chunk_data_end;
  return n;
}

std::size_t IcapParser::take_crlf(std::span<const std::uint8_t> in, Phase next) {
  std::size_t used = 0;
  while (used < in.size() && buffer_.size() < 2) buffer_.push_back(static_cast<char>(in[used++]));
  if (buffer_.size() < 2) return used;
  const bool crlf = buffer_ == "\r\n";
  buffer_.clear();
  if (!crlf) {
    fail(next == Phase::done ? "the last chunk is not followed by CRLF (trailers are not accepted)"
                             : "chunk data is not followed by CRLF");
    return used;
  }
  if (next != Phase::done) {
    phase_ = next;
    return used;
  }
  if (in_preview_ && !last_chunk_ieof_) {
    in_preview_ = false;
    if (handler_.preview_end()) {
      phase_ = Phase::chunk_size;  // the client sends the rest after our 100 Continue
    } else {
      phase_ = Phase::head;  // answered on the preview: the client sends nothing more of this body
    }
    return used;
  }
  end_request(last_chunk_ieof_);
  return used;
}

void IcapParser::end_request(bool ieof) {
  phase_ = Phase::head;
  handler_.request_end(ieof);
}

}  // namespace dijk::icap
