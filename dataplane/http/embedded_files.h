#pragma once
// Files carried as base64 text inside a request body: a JSON string value ({"image": "<base64>"} or
// "data:image/jpeg;base64,...") or a form value (`curl --data-urlencode image@photo.b64`). Each is
// decoded as it streams and handed to an UploadSink as a file of its own, named by its field, while the
// body itself is still hashed as one raw file by the caller: the two are open at the same time, which is
// why embedded files go to a sink of their own.
//
// Which values are base64: a data: URI with ";base64" (any length), or a value whose first
// kMinBase64Chars bytes are all base64 (either alphabet, padding, whitespace). Shorter plain values
// (ids, tokens, hex digests) are not decoded: they are no image anyone lists, and each would cost a file.
// Memory per body: the first kMinBase64Chars bytes of the value in progress, its field name, and a
// Base64Decoder (6 KiB, only while a value is decoded).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dataplane/http/base64_decoder.h"
#include "dataplane/http/form_value_scanner.h"
#include "dataplane/http/json_string_scanner.h"
#include "dataplane/http/upload_sink.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk {

// One value at a time, as a scanner reports it: is it base64, and if so, the file it decodes to.
class Base64ValueFiles final : public JsonStringHandler {
 public:
  static constexpr std::size_t kMinBase64Chars = 1024;
  static constexpr std::size_t kMaxDataUriHeader = 256;  // "data:<type>;base64," longer is not taken

  // `request`: method, host and uri of the request the body belongs to (filename and type are set here).
  Base64ValueFiles(UploadSink& sink, StreamCounters& counters, const UploadInfo& request)
      : sink_(sink), counters_(counters), request_(request) {}
  ~Base64ValueFiles() override;
  Base64ValueFiles(const Base64ValueFiles&) = delete;
  Base64ValueFiles& operator=(const Base64ValueFiles&) = delete;

  void set_time(std::uint64_t time_ns) { now_ns_ = time_ns; }

  void value_begin(std::string_view key) override;
  void value_data(std::span<const std::uint8_t> bytes) override;
  void value_end(bool complete) override;

 private:
  enum class State : std::uint8_t { idle, sniffing, data_uri_header, decoding, ignored };
  void sniff(std::span<const std::uint8_t> bytes);
  void start_decoding(std::string_view media_type, std::span<const std::uint8_t> first);
  void decode(std::span<const std::uint8_t> text);
  void end_file(bool complete);

  UploadSink& sink_;
  StreamCounters& counters_;
  UploadInfo request_;
  std::uint64_t now_ns_ = 0;
  State state_ = State::idle;
  std::string name_;
  std::string media_type_;
  std::string head_;  // the value's first bytes, while it is not yet known to be base64
  std::unique_ptr<Base64Decoder> decoder_;
};

// A request body's embedded files: the body is scanned as JSON if it opens with "{" or "[" or is labelled
// JSON, as a form if it is labelled application/x-www-form-urlencoded, and not at all otherwise. Malformed
// JSON, nesting past JsonStringScanner::kMaxDepth and bad base64 are counted (never matched: a value in
// progress is ended as truncated); the body's own raw file is not affected.
class EmbeddedFiles {
 public:
  EmbeddedFiles(UploadSink& sink, StreamCounters& counters, const UploadInfo& request);
  ~EmbeddedFiles();
  EmbeddedFiles(const EmbeddedFiles&) = delete;
  EmbeddedFiles& operator=(const EmbeddedFiles&) = delete;

  void feed(std::span<const std::uint8_t> bytes, std::uint64_t time_ns);
  // Bytes of the body were lost: nothing more is scanned, a file in progress is truncated.
  void lose(std::uint64_t time_ns);
  // The body ended; complete: all of it arrived.
  void finish(bool complete, std::uint64_t time_ns);

 private:
  enum class Kind : std::uint8_t { undecided, json, form, none };
  void decide(std::uint8_t first);
  void stop_json(JsonStringScanner::Status status);

  StreamCounters& counters_;
  Base64ValueFiles values_;
  bool json_label_ = false, form_label_ = false;
  Kind kind_ = Kind::undecided;
  std::optional<JsonStringScanner> json_;
  std::optional<FormValueScanner> form_;
};

// The Content-Type labels that choose a scanner (parameters and case ignored).
bool is_json_type(std::string_view content_type);
bool is_form_type(std::string_view content_type);

}  // namespace dijk
