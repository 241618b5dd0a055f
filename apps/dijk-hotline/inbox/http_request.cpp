#include "apps/dijk-hotline/inbox/http_request.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dijk::inbox {
namespace {

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HeadParse fail(int status, std::string reason) {
  HeadParse p;
  p.status = status;
  p.reason = std::move(reason);
  return p;
}

}  // namespace

HeadParse parse_request_head(std::string_view head) {
  if (head.size() > kMaxHeadBytes) return fail(431, "request head too large");
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n")
    return fail(400, "request head not terminated");
  head.remove_suffix(2);  // keep one CRLF after the last line
  HeadParse p;
  std::size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || method.size() > 16 || !std::all_of(method.begin(), method.end(), is_token_char)) {
    return fail(400, "malformed method");
  }
  if (target.empty() || target.front() != '/') return fail(400, "malformed target");
  if (target.size() > kMaxTargetBytes) return fail(414, "target too long");
  if (!std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return fail(400, "malformed target");
  }
  if (version == "HTTP/1.1") {
    p.head.http11 = true;
  } else if (version == "HTTP/1.0") {
    p.head.http11 = false;
  } else {
    return fail(505, "HTTP version not supported");
  }
  p.head.method = method;
  p.head.target = target;

  std::size_t count = 0;
  bool keep_alive = false;
  bool explicit_close = false;
  for (std::size_t at = eol + 2; at < head.size();) {
    const std::size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) return fail(400, "malformed header line");
    const std::string_view h = head.substr(at, end - at);
    at = end + 2;
    if (++count > kMaxHeaders) return fail(431, "too many headers");
    const std::size_t colon = h.find(':');
    if (colon == 0 || colon == std::string_view::npos) return fail(400, "malformed header line");
    const std::string_view name = h.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail(400, "malformed header name");
    const std::string_view value = trim(h.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return (c < 0x20 && c != '\t') || c == 0x7f; })) {
      return fail(400, "control character in header value");
    }
    const std::string key = lower(name);
    if (key == "content-length") {
      std::uint64_t n = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size() || value.empty()) {
        return fail(400, "malformed Content-Length");
      }
      if (p.head.content_length && *p.head.content_length != n)
        return fail(400, "conflicting Content-Length");
      p.head.content_length = n;
    } else if (key == "transfer-encoding") {
      p.head.chunked = true;
    } else if (key == "connection") {
      const std::string v = lower(value);
      if (v.find("close") != std::string::npos) explicit_close = true;
      if (v.find("keep-alive") != std::string::npos) keep_alive = true;
    }
  }
  p.head.close = explicit_close || (!p.head.http11 && !keep_alive);
  if (p.head.chunked && p.head.content_length) return fail(400, "both Content-Length and Transfer-Encoding");
  if (p.head.chunked) return fail(501, "chunked request bodies are not supported; send Content-Length");
  if (p.head.content_length && *p.head.content_length > kMaxBodyBytes) return fail(413, "body too large");
  return p;
}

const char* http_reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

}  // namespace dijk::inbox
