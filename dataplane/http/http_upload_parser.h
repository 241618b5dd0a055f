#pragma once
// HTTP/1.1 request parsing for one connection with libhtp (OISF): request line, headers, Content-Length
// and chunked bodies, Expect: 100-continue, keep-alive and pipelining. Bodies of POST, PUT and PATCH
// become files: each multipart/form-data part with a filename (split by our streaming MultipartSplitter),
// or the whole raw body, whatever its Content-Type says (url-encoded included: labels are not trusted).
// A body sent with Content-Encoding gzip or deflate is inflated first (BodyInflater, bounded). A raw body
// that is JSON or a form, and a multipart body's text fields, are also looked at for base64 values
// (EmbeddedFiles, Base64ValueFiles): each is a file of its own, sent to a second sink, because the body's
// own file is still open while a raw body streams. A raw body that is JSON by its first byte
// (JsonBodySniffer) is not a file itself when its values are looked for: only they are hashed.
// Form fields of a multipart body are not files. Responses are parsed too, only
// so that libhtp can retire finished transactions and keep its memory per connection bounded.
#include <htp/htp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/http/body_inflater.h"
#include "dataplane/http/embedded_files.h"
#include "dataplane/http/json_body_sniffer.h"
#include "dataplane/http/multipart_splitter.h"
#include "dataplane/http/upload_sink.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk {

// libhtp's configuration and callbacks; one per worker, shared by its connections.
class HttpParserConfig {
 public:
  HttpParserConfig();
  ~HttpParserConfig();
  HttpParserConfig(const HttpParserConfig&) = delete;
  HttpParserConfig& operator=(const HttpParserConfig&) = delete;
  htp_cfg_t* get() const { return cfg_; }

 private:
  htp_cfg_t* cfg_;
};

class HttpUploadParser : private MultipartHandler {
 public:
  // `embedded`: where files decoded from base64 values go (null: such values are not looked for). It
  // must outlive the parser, as `sink` must.
  HttpUploadParser(const HttpParserConfig& config, UploadSink& sink, StreamCounters& counters,
                   UploadSink* embedded = nullptr);
  ~HttpUploadParser() override;
  HttpUploadParser(const HttpUploadParser&) = delete;
  HttpUploadParser& operator=(const HttpUploadParser&) = delete;

  void request_data(std::span<const std::uint8_t> bytes, std::uint64_t time_ns);
  void response_data(std::span<const std::uint8_t> bytes, std::uint64_t time_ns);
  // Lost bytes: inside a body libhtp skips them (the file in progress is truncated, later requests are
  // still parsed); elsewhere the request side of the connection is abandoned.
  void request_gap(std::uint64_t bytes, std::uint64_t time_ns);
  void response_gap(std::uint64_t bytes, std::uint64_t time_ns);
  // The connection ended: a file still open is truncated.
  void close(std::uint64_t time_ns);

  // libhtp callbacks (C linkage through the config); not for other callers.
  int on_request_headers(htp_tx_t* tx);
  int on_request_body(const htp_tx_data_t* data);
  int on_request_complete(htp_tx_t* tx);

 private:
  enum class BodyKind : std::uint8_t { ignored, raw, multipart };
  struct Request {
    std::string method, host, uri, content_type, filename;
    BodyKind kind = BodyKind::ignored;
    bool lost_bytes = false;
    std::int64_t content_length = -1;  // -1: chunked or none
    std::uint64_t body_bytes = 0;      // received or skipped as a gap
    std::optional<MultipartSplitter> multipart;
    // Content-Encoding gzip or deflate. On the heap: ~24 KiB that only compressed bodies need.
    std::unique_ptr<BodyInflater> inflater;
    // A raw body's base64 values (JSON, forms). On the heap: only raw bodies with a second sink need it.
    std::unique_ptr<EmbeddedFiles> embedded;
    // Whether that raw body is JSON, and so not hashed as sent (only its values are). With `embedded`.
    std::unique_ptr<JsonBodySniffer> json_sniff;
    // A multipart body's text fields, each a value that may be base64 (`curl -F image=<photo.b64`).
    std::unique_ptr<Base64ValueFiles> fields;
    bool field_open = false;
  };

  void part_begin(const MultipartPartHeaders& headers) override;
  void part_data(std::span<const std::uint8_t> bytes) override;
  void part_end(bool complete) override;

  // The body's bytes as sent (before any Content-Encoding is undone) and as meant.
  void body_bytes(std::span<const std::uint8_t> bytes);
  void decoded_body_bytes(std::span<const std::uint8_t> bytes);
  // A raw body's bytes (inflated) to its own file, unless it is JSON.
  void raw_file_bytes(std::span<const std::uint8_t> bytes);
  bool raw_body_is_json() const;
  void flush_held_blanks();  // the whitespace a raw body began with, into its file
  // The rest of the body cannot be had (a gap, or a compressed body that had to stop): the file in
  // progress is truncated.
  void lose_body();
  void open_file(std::string_view filename, std::string_view content_type);
  void close_file(bool complete);
  void end_request(bool complete);
  void abandon_requests();
  bool ensure_connp();
  void feed_responses();

  const HttpParserConfig& config_;
  UploadSink& sink_;
  StreamCounters& counters_;
  UploadSink* embedded_sink_;
  htp_connp_t* connp_ = nullptr;
  Request request_;
  std::uint64_t now_ns_ = 0;
  // Response bytes wait here while a request is in progress: libhtp would take a response that starts
  // before the request ends as the end of the request, and a server may answer before the body is done.
  static constexpr std::size_t kMaxHeldResponse = 64 * 1024;
  std::vector<std::uint8_t> held_response_;
  bool request_in_progress_ = false;
  bool file_open_ = false;
  bool request_side_dead_ = false;
  bool response_side_dead_ = false;
  bool closing_ = false;
};

}  // namespace dijk
