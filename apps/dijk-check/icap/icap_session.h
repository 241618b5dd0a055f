#pragma once
// What one proxy connection's ICAP requests mean, and the answers: OPTIONS advertises the service, and a
// REQMOD's encapsulated HTTP request goes through the wire path's own HTTP upload parser (libhtp and our
// multipart splitter: the same files a capture of that request would give, base64 values in JSON and form
// bodies decoded included), each file through the check
// API's CheckService (the house's one matcher, the policy, the journal with source "icap"). A block
// verdict answers an HTTP 403 page in place of the request; report and allow answer 204.
//
// One session per connection, used by one thread at a time. No I/O: the server feeds bytes in and sends
// what take_output() gives back.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "apps/dijk-check/api_metrics.h"
#include "apps/dijk-check/check_service.h"
#include "apps/dijk-check/icap/icap_parser.h"
#include "dataplane/http/http_upload_parser.h"
#include "dataplane/http/upload_sink.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk::icap {

struct IcapSessionOptions {
  std::string service = "reqmod";           // the path the proxy names: icap://host:port/reqmod
  std::uint64_t preview = 4096;             // advertised in OPTIONS
  std::uint64_t max_file_bytes = 64 << 20;  // larger files are not checked (counted, answered 204)
  std::uint32_t max_connections = 256;      // advertised in OPTIONS
  std::string block_page;                   // HTML of the 403 (default_block_page() when empty)
};

class IcapSession : private IcapHandler {
 public:
  IcapSession(const IcapSessionOptions& options, const check::CheckService& service,
              const check::CheckEngine& engine, check::ApiMetrics& metrics);
  ~IcapSession() override;
  IcapSession(const IcapSession&) = delete;
  IcapSession& operator=(const IcapSession&) = delete;

  void feed(std::span<const std::uint8_t> bytes);
  // Answers produced by the bytes fed so far (100 Continue, responses), in order.
  std::string take_output();
  // The connection should be closed once the output is sent: malformed framing or "Connection: close".
  bool should_close() const { return close_; }
  // No request is in progress (an idle connection may be closed without losing one).
  bool idle() const { return parser_.idle() && !request_; }

 private:
  struct File {
    std::string method, host, uri, filename;
    std::vector<std::uint8_t> bytes;
    bool too_large = false;
    bool complete = false;
  };
  struct Request;

  // IcapHandler
  void request_head(const IcapRequestHead& head) override;
  void http_head(std::string_view head) override;
  void body_data(std::span<const std::uint8_t> bytes) override;
  bool preview_end() override;
  void request_end(bool ieof) override;
  // Files of the encapsulated request, as the wire path finds them, appended to files_. Two of them: the
  // parser sends the body's own files to one and files decoded from base64 values in the body to the
  // other, and one of each can be open at the same time.
  class FileCollector final : public UploadSink {
   public:
    explicit FileCollector(IcapSession& session) : session_(session) {}
    void begin_file(const UploadInfo& info, std::uint64_t time_ns) override;
    void file_data(std::span<const std::uint8_t> bytes) override;
    void end_file(bool complete, std::uint64_t time_ns) override;

   private:
    File* open_file();
    IcapSession& session_;
    std::optional<std::size_t> open_;  // index in session_.files_
  };

  void answer_reqmod();
  void respond(const std::string& endpoint, unsigned status, std::string text);
  std::string istag() const;

  const IcapSessionOptions& options_;
  const check::CheckService& service_;
  const check::CheckEngine& engine_;
  check::ApiMetrics& metrics_;
  HttpParserConfig http_config_;
  StreamCounters http_counters_;
  IcapParser parser_;
  // Declared before request_: its HTTP parser ends its open files through the collectors when it goes.
  std::vector<File> files_;
  std::uint64_t files_bytes_ = 0;
  FileCollector body_files_{*this}, embedded_files_{*this};
  std::unique_ptr<Request> request_;
  std::string output_;
  bool close_ = false;
  bool close_after_ = false;  // the client asked for "Connection: close": close after this answer
};

}  // namespace dijk::icap
