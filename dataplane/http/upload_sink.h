#pragma once
// Where the HTTP layer sends the files it finds in request bodies: one file at a time per connection,
// as begin / data / end, never buffered whole.
#include <cstdint>
#include <span>
#include <string_view>

namespace dijk {

struct UploadInfo {
  std::string_view method;
  std::string_view host;
  std::string_view uri;
  std::string_view filename;      // the multipart filename, or the last path segment of a raw PUT/POST
  std::string_view content_type;  // as declared by the client (not trusted: files are sniffed)
};

class UploadSink {
 public:
  virtual ~UploadSink() = default;
  virtual void begin_file(const UploadInfo& info, std::uint64_t time_ns) = 0;
  virtual void file_data(std::span<const std::uint8_t> bytes) = 0;
  // complete: every byte of the file arrived and its end is certain. Otherwise it is truncated.
  virtual void end_file(bool complete, std::uint64_t time_ns) = 0;
};

}  // namespace dijk
