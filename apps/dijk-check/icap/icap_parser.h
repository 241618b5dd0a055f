#pragma once
// ICAP requests (RFC 3507) as they arrive on a connection from a proxy: the ICAP request line and
// headers, the encapsulated HTTP request head, and the encapsulated body in chunked coding, with preview
// ("0; ieof" or "0" and wait for 100 Continue). Incremental: bytes may arrive cut anywhere, several
// requests may follow each other on one persistent connection. Everything here is fed hostile bytes by
// tests/fuzz/icap and answers malformed input with a reason, never a crash; every size is bounded.
//
// The parser only frames. What a request means (OPTIONS, REQMOD, what to answer) is the handler's job.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dijk::icap {

// One section of the Encapsulated header: "req-hdr=0", "req-body=412", "null-body=170", ...
struct EncapsulatedEntry {
  std::string name;
  std::uint64_t offset = 0;
};

struct IcapRequestHead {
  std::string method;   // OPTIONS, REQMOD, RESPMOD (as sent, upper case expected)
  std::string uri;      // icap://host:port/service?query
  std::string service;  // the URI's path without the leading '/': "reqmod"
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  std::vector<EncapsulatedEntry> encapsulated;
  std::optional<std::uint64_t> preview;  // Preview: n
  bool allow_204 = false;                // Allow: 204
  bool close = false;                    // Connection: close

  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // Bytes of the encapsulated HTTP head (req-hdr or res-hdr up to the next entry), 0 without one.
  std::uint64_t http_head_size = 0;
  bool has_body = false;  // req-body / res-body follows (null-body: no body)
};

class IcapHandler {
 public:
  virtual ~IcapHandler() = default;
  virtual void request_head(const IcapRequestHead& head) = 0;
  // The encapsulated HTTP request or response head, whole (at most Limits::max_http_head bytes).
  virtual void http_head(std::string_view head) = 0;
  virtual void body_data(std::span<const std::uint8_t> bytes) = 0;
  // The preview ended with "0" and no ieof: true asks for the rest (the caller sends "100 Continue"
  // and the parser reads on), false answers now (the client sends nothing more of this body).
  virtual bool preview_end() = 0;
  // The request is complete (after its body, or right after the head with null-body). `ieof`: the body
  // ended inside the preview.
  virtual void request_end(bool ieof) = 0;
};

struct IcapLimits {
  std::size_t max_head = 16 * 1024;       // ICAP request line and headers
  std::size_t max_http_head = 64 * 1024;  // encapsulated HTTP head
  std::size_t max_chunk_line = 1024;      // a chunk-size line with its extensions
  std::size_t max_headers = 100;
};

class IcapParser {
 public:
  enum class State { ok, failed };

  IcapParser(IcapHandler& handler, IcapLimits limits = {});

  // Consumes all of `bytes` unless the stream is malformed (then failed() and error() say why and the
  // connection should get a 400 and be closed). Handler calls happen inside feed().
  void feed(std::span<const std::uint8_t> bytes);
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  // Between requests: no byte of a next request has arrived (a connection may close cleanly now).
  bool idle() const { return phase_ == Phase::head && buffer_.empty(); }

 private:
  // done is never a resting phase: the end of a request goes straight back to head.
  enum class Phase { head, http_head, chunk_size, chunk_data, chunk_data_end, last_chunk_end, done };

  std::size_t take_head(std::span<const std::uint8_t> in);
  std::size_t take_http_head(std::span<const std::uint8_t> in);
  std::size_t take_chunk_size(std::span<const std::uint8_t> in);
  std::size_t take_chunk_data(std::span<const std::uint8_t> in);
  std::size_t take_crlf(std::span<const std::uint8_t> in, Phase next);
  // Appends to buffer_ up to a line end; true with the line (without CRLF) once complete.
  bool take_line(std::span<const std::uint8_t> in, std::size_t& used, std::size_t max, std::string& line);
  bool parse_head(std::string_view text);
  void after_http_head();
  void end_request(bool ieof);
  void fail(std::string reason);

  IcapHandler& handler_;
  IcapLimits limits_;
  Phase phase_ = Phase::head;
  std::string buffer_;
  IcapRequestHead head_;
  std::uint64_t chunk_left_ = 0;
  std::uint64_t preview_bytes_ = 0;
  bool in_preview_ = false;
  bool last_chunk_ieof_ = false;
  bool failed_ = false;
  std::string error_;
};

}  // namespace dijk::icap
