#include "dataplane/http/multipart_splitter.h"

#include <algorithm>
#include <cstring>

namespace dijk {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits `type; k=v; k2="v 2"` parameters; calls f(key, value) with quotes and escapes removed.
template <typename F>
void for_each_parameter(std::string_view header_value, F&& f) {
  std::size_t i = header_value.find(';');
  while (i != std::string_view::npos && i < header_value.size()) {
    ++i;
    while (i < header_value.size() && (header_value[i] == ' ' || header_value[i] == '\t')) ++i;
    const std::size_t eq = header_value.find('=', i);
    if (eq == std::string_view::npos) return;
    const std::string_view key = trim(header_value.substr(i, eq - i));
    std::size_t j = eq + 1;
    while (j < header_value.size() && (header_value[j] == ' ' || header_value[j] == '\t')) ++j;
    std::string value;
    if (j < header_value.size() && header_value[j] == '"') {
      ++j;
      while (j < header_value.size() && header_value[j] != '"') {
        if (header_value[j] == '\\' && j + 1 < header_value.size()) ++j;
        value.push_back(header_value[j++]);
      }
      if (j < header_value.size()) ++j;  // closing quote
      i = header_value.find(';', j);
    } else {
      const std::size_t end = header_value.find(';', j);
      value = std::string(trim(header_value.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    f(key, value);
  }
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The first delimiter in [p, p+n). The delimiter starts with "\r", a byte that random (compressed, image)
// data holds about once in 256: memchr skips to each candidate at vector speed, faster than memmem.
const std::uint8_t* find_delimiter(const std::uint8_t* p, std::size_t n, const std::uint8_t* delim,
                                   std::size_t d) {
  const std::uint8_t* const end = p + n;
  while (static_cast<std::size_t>(end - p) >= d) {
    const auto* cr =
        static_cast<const std::uint8_t*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p) - d + 1));
    if (cr == nullptr) return nullptr;
    if (cr[1] == '\n' && std::memcmp(cr, delim, d) == 0) return cr;
    p = cr + 1;
  }
  return nullptr;
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (!iequals(type, "multipart/form-data")) return {};
  std::string boundary;
  for_each_parameter(content_type, [&](std::string_view k, const std::string& v) {
    if (iequals(k, "boundary") && boundary.empty()) boundary = v;
  });
  if (boundary.empty() || boundary.size() > 70) return {};
  return boundary;
}

MultipartSplitter::MultipartSplitter(std::string_view boundary, MultipartHandler& handler)
    : delimiter_("\r\n--" + std::string(boundary)), handler_(&handler) {
  // The first delimiter may open the body without a line break before it: pretend there was one.
  carry_ = "\r\n";
}

void MultipartSplitter::emit(std::span<const std::uint8_t> bytes) {
  if (state_ == State::data && part_open_ && !bytes.empty()) handler_->part_data(bytes);
}

void MultipartSplitter::fail() {
  if (part_open_) handler_->part_end(false);
  part_open_ = false;
  state_ = State::failed;
}

void MultipartSplitter::on_delimiter() {
  if (part_open_) handler_->part_end(true);
  part_open_ = false;
  state_ = State::after_delimiter;
}

void MultipartSplitter::feed(std::span<const std::uint8_t> in) {
  while (!in.empty()) {
    std::size_t used = 0;
    switch (state_) {
      case State::preamble:
      case State::data:
        used = scan_data(in);
        break;
      case State::after_delimiter:
      case State::after_delimiter_dash:
      case State::after_delimiter_cr:
        used = scan_after_delimiter(in);
        break;
      case State::headers:
        used = scan_headers(in);
        break;
      case State::epilogue:
      case State::failed:
        return;
    }
    in = in.subspan(used);
  }
}

std::size_t MultipartSplitter::scan_data(std::span<const std::uint8_t> in) {
  const std::size_t d = delimiter_.size();
  const auto* delim = reinterpret_cast<const std::uint8_t*>(delimiter_.data());
  if (!carry_.empty()) {
    // A delimiter may start in the carried bytes: look at them joined with the start of this input.
    const std::size_t take = std::min(in.size(), d - 1);
    std::uint8_t joined[2 * 80];
    std::memcpy(joined, carry_.data(), carry_.size());
    std::memcpy(joined + carry_.size(), in.data(), take);
    const std::size_t n = carry_.size() + take;
    const std::uint8_t* hit = find_delimiter(joined, n, delim, d);
    if (hit != nullptr) {
      const auto at = static_cast<std::size_t>(hit - joined);
      if (at < carry_.size()) {
        emit({joined, at});
        const std::size_t consumed = at + d - carry_.size();
        carry_.clear();
        on_delimiter();
        return consumed;
      }
    }
    if (take == d - 1) {
      // No delimiter starts in the carry: it is ordinary data.
      emit({joined, carry_.size()});
      carry_.clear();
      return 0;
    }
    // The input is shorter than a delimiter: keep the longest tail that could still begin one.
    std::size_t keep = 0;
    for (std::size_t k = n > d - 1 ? n - (d - 1) : 0; k < n; ++k) {
      if (joined[k] == '\r' && std::memcmp(joined + k, delim, n - k) == 0) {
        keep = n - k;
        break;
      }
    }
    emit({joined, n - keep});
    carry_.assign(reinterpret_cast<const char*>(joined) + (n - keep), keep);
    return in.size();
  }
  const std::uint8_t* hit = find_delimiter(in.data(), in.size(), delim, d);
  if (hit != nullptr) {
    const auto at = static_cast<std::size_t>(hit - in.data());
    emit(in.first(at));
    on_delimiter();
    return at + d;
  }
  std::size_t keep = 0;
  const std::size_t n = in.size();
  for (std::size_t k = n > d - 1 ? n - (d - 1) : 0; k < n; ++k) {
    if (in[k] == '\r' && std::memcmp(in.data() + k, delim, n - k) == 0) {
      keep = n - k;
      break;
    }
  }
  emit(in.first(n - keep));
  carry_.assign(reinterpret_cast<const char*>(in.data()) + (n - keep), keep);
  return n;
}

std::size_t MultipartSplitter::scan_after_delimiter(std::span<const std::uint8_t> in) {
  std::size_t i = 0;
  for (; i < in.size(); ++i) {
    const std::uint8_t c = in[i];
    if (state_ == State::after_delimiter_dash) {
      if (c != '-') {
        fail();
        return i;
      }
      state_ = State::epilogue;
      return i + 1;
    }
    if (state_ == State::after_delimiter_cr) {
      if (c != '\n') {
        fail();
        return i;
      }
      state_ = State::headers;
      headers_.clear();
      return i + 1;
    }
    if (c == '-') {
      state_ = State::after_delimiter_dash;
    } else if (c == '\r') {
      state_ = State::after_delimiter_cr;
    } else if (c != ' ' && c != '\t') {  // transport padding is allowed before the line break
      fail();
      return i;
    }
  }
  return i;
}

std::size_t MultipartSplitter::scan_headers(std::span<const std::uint8_t> in) {
  // The block ends at an empty line; it may arrive split anywhere, so look across the seam too.
  const std::size_t before = headers_.size();
  const std::size_t room = kMaxPartHeaderBytes - before;
  const std::size_t take = std::min(in.size(), room);
  headers_.append(reinterpret_cast<const char*>(in.data()), take);
  std::size_t end = std::string::npos;
  if (headers_.size() >= 2 && headers_.compare(0, 2, "\r\n") == 0) {
    end = 2;  // a part with no headers at all
  } else {
    const std::size_t from = before >= 3 ? before - 3 : 0;
    const std::size_t pos = headers_.find("\r\n\r\n", from);
    if (pos != std::string::npos) end = pos + 4;
  }
  if (end == std::string::npos) {
    if (headers_.size() >= kMaxPartHeaderBytes) fail();
    return take;
  }
  const std::size_t consumed = end - before;
  headers_.resize(end);
  if (!parse_part_headers()) {
    fail();
    return consumed;
  }
  state_ = State::data;
  part_open_ = true;
  handler_->part_begin(part_);
  return consumed;
}

bool MultipartSplitter::parse_part_headers() {
  part_ = MultipartPartHeaders{};
  std::string_view block(headers_);
  while (!block.empty()) {
    const std::size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-disposition")) {
      std::string filename_ext;
      for_each_parameter(value, [&](std::string_view k, const std::string& v) {
        if (iequals(k, "name")) part_.name = v;
        if (iequals(k, "filename")) {
          part_.filename = v;
          part_.has_filename = true;
        }
        if (iequals(k, "filename*")) {
          // RFC 5987: charset'language'percent-encoded
          const std::size_t q = v.find('\'', v.find('\'') + 1);
          filename_ext = percent_decode(q == std::string::npos ? v : std::string_view(v).substr(q + 1));
        }
      });
      if (!filename_ext.empty()) {
        part_.filename = filename_ext;
        part_.has_filename = true;
      }
    } else if (iequals(name, "content-type")) {
      part_.content_type = std::string(value);
    }
  }
  return true;
}

void MultipartSplitter::gap() {
  if (state_ == State::epilogue || state_ == State::failed) return;
  // The open part lost bytes: it ends incomplete. Later parts are still found at their delimiters.
  if (part_open_) handler_->part_end(false);
  part_open_ = false;
  carry_.clear();
  headers_.clear();
  state_ = State::preamble;
}

bool MultipartSplitter::finish(bool body_complete) {
  const bool clean = state_ == State::epilogue;
  if (part_open_) handler_->part_end(false);
  part_open_ = false;
  if (!clean) state_ = State::failed;
  // A complete body that never reached its closing delimiter is malformed.
  return clean || !body_complete;
}

}  // namespace dijk
