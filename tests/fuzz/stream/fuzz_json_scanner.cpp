// Hostile JSON and form bodies into EmbeddedFiles (JsonStringScanner or FormValueScanner, and base64
// values decoded as files), fed whole and in pieces. The sink checks the file protocol (one file at a
// time, begin before data, every file ended); both feedings must find the same files with the same bytes
// and the same counters; the JSON scanner on its own must pair every value's begin and end.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "dataplane/http/embedded_files.h"
#include "dataplane/http/json_string_scanner.h"

namespace {

class CheckingSink : public dijk::UploadSink {
 public:
  void begin_file(const dijk::UploadInfo& info, std::uint64_t) override {
    if (open_) std::abort();
    open_ = true;
    files.push_back(std::string(info.filename) + "|" + std::string(info.content_type) + "|");
  }
  void file_data(std::span<const std::uint8_t> bytes) override {
    if (!open_ || bytes.empty()) std::abort();
    files.back().append(bytes.begin(), bytes.end());
  }
  void end_file(bool complete, std::uint64_t) override {
    if (!open_) std::abort();
    open_ = false;
    files.back() += complete ? "|ok" : "|cut";
  }
  bool open() const { return open_; }
  std::vector<std::string> files;

 private:
  bool open_ = false;
};

class PairingHandler : public dijk::JsonStringHandler {
 public:
  void value_begin(std::string_view key) override {
    if (open_ || key.size() > dijk::JsonStringScanner::kMaxKey) std::abort();
    open_ = true;
  }
  void value_data(std::span<const std::uint8_t>) override {
    if (!open_) std::abort();
  }
  void value_end(bool) override {
    if (!open_) std::abort();
    open_ = false;
  }
  bool open_ = false;
};

struct Result {
  std::vector<std::string> files;
  std::uint64_t embedded = 0, malformed = 0, deep = 0, base64 = 0;
};

Result run(std::span<const std::uint8_t> body, std::size_t piece, std::string_view type, bool complete) {
  CheckingSink sink;
  dijk::StreamCounters counters;
  Result r;
  {
    const dijk::UploadInfo info{"POST", "h", "/", {}, type};
    dijk::EmbeddedFiles files(sink, counters, info);
    for (std::size_t off = 0; off < body.size(); off += piece)
      files.feed(body.subspan(off, std::min(piece, body.size() - off)), 1);
    files.finish(complete, 2);
  }
  if (sink.open()) std::abort();
  r.files = sink.files;
  r.embedded = counters.embedded_files;
  r.malformed = counters.dropped(dijk::DropReason::json_malformed);
  r.deep = counters.dropped(dijk::DropReason::json_too_deep);
  r.base64 = counters.dropped(dijk::DropReason::base64_malformed);
  if (r.embedded != r.files.size()) std::abort();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr std::string_view kTypes[] = {"application/json", "application/x-www-form-urlencoded",
                                                "text/plain", "application/ld+json"};
  const std::string_view type = kTypes[data[0] & 3];
  const bool complete = (data[0] & 4) == 0;
  const std::size_t piece = 1 + (data[0] >> 3);
  const std::span<const std::uint8_t> body(data + 1, size - 1);
  const Result whole = run(body, body.empty() ? 1 : body.size(), type, complete);
  const Result cut = run(body, piece, type, complete);
  if (whole.files != cut.files || whole.malformed != cut.malformed || whole.deep != cut.deep ||
      whole.base64 != cut.base64)
    std::abort();
  PairingHandler handler;
  dijk::JsonStringScanner scanner(handler);
  scanner.feed(body);
  scanner.finish();
  if (handler.open_) std::abort();
  return 0;
}
