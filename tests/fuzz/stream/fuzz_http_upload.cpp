// Hostile HTTP request bytes into the upload parser (libhtp + our multipart splitter), cut into pieces
// where the input says, with responses and gaps mixed in. The sinks (the body's files, and files decoded
// from base64 values in JSON and form bodies) check the file protocol: data only inside a file, every
// begin matched by one end.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "dataplane/http/http_upload_parser.h"

namespace {

class CheckingSink : public dijk::UploadSink {
 public:
  void begin_file(const dijk::UploadInfo&, std::uint64_t) override {
    if (open_) std::abort();
    open_ = true;
  }
  void file_data(std::span<const std::uint8_t> bytes) override {
    if (!open_) std::abort();
    size_ += bytes.size();
  }
  void end_file(bool, std::uint64_t) override {
    if (!open_) std::abort();
    open_ = false;
  }
  bool open_ = false;
  std::uint64_t size_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::size_t piece = 1 + data[1] % 97;
  std::span<const std::uint8_t> in(data + 2, size - 2);
  std::string wrapped;
  if (mode & 1) {
    // The input is a multipart body: give it a request line and headers so the splitter sees it.
    wrapped =
        "POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: " +
        std::to_string(in.size()) + "\r\n\r\n";
    wrapped.append(in.begin(), in.end());
    in = {reinterpret_cast<const std::uint8_t*>(wrapped.data()), wrapped.size()};
  }
  static const dijk::HttpParserConfig config;  // libhtp config: immutable after construction
  dijk::StreamCounters counters;
  CheckingSink sink, embedded;
  {
    dijk::HttpUploadParser parser(config, sink, counters, &embedded);
    std::uint64_t t = 0;
    for (std::size_t off = 0, n = 0; off < in.size(); off += piece, ++n) {
      const auto chunk = in.subspan(off, std::min(piece, in.size() - off));
      if ((mode & 2) && n == 3) {
        parser.request_gap(chunk.size(), ++t);  // this piece is lost
        continue;
      }
      parser.request_data(chunk, ++t);
      if ((mode & 4) && n % 5 == 0) {
        static const std::string kResp =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        parser.response_data({reinterpret_cast<const std::uint8_t*>(kResp.data()), kResp.size()}, ++t);
      }
    }
    parser.close(++t);
  }
  if (sink.open_ || embedded.open_) std::abort();  // close() must end a file left open
  return 0;
}
