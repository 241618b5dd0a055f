// Hostile segment sequences into the whole stream stage. Each 5-byte record is one segment: which of
// four flows and which direction, flags, a sequence offset, a length. Payload bytes come from a fixed
// multipart upload at the segment's stream offset (so HTTP parsing goes deep), or are corrupted when the
// record says so (overlaps with different bytes). Caps are tiny so eviction and memory limits trigger;
// after every segment the caps must hold.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/pipeline/stream_pipeline.h"

namespace {

class NullSink : public dijk::HitSink {
 public:
  void on_hit(const dijk::HitEvent&) override {}
};

const std::string& upload_stream() {
  static const std::string s = [] {
    std::string body =
        "--B\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nhello\r\n--B\r\n"
        "Content-Disposition: form-data; name=\"f\"; filename=\"a.jpg\"\r\n\r\n\xFF\xD8\xFF";
    for (int i = 0; i < 300; ++i) body.push_back(static_cast<char>(i * 7));
    body += "\r\n--B--\r\n";
    return "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; "
           "boundary=B\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return s;
}

dijk::IpAddress ip(std::uint8_t last) {
  dijk::IpAddress a;
  a.bytes[10] = a.bytes[11] = 0xff;
  a.bytes[12] = 10;
  a.bytes[15] = last;
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dijk::StreamPipelineConfig cfg;
  cfg.reassembly.max_flows = 3;
  cfg.reassembly.out_of_order_memory = 4096;
  cfg.reassembly.limits.max_segments_per_flow = 4;
  cfg.reassembly.limits.max_bytes_per_flow = 2048;
  cfg.reassembly.midstream = (size > 0 && (data[0] & 1));
  NullSink sink;
  dijk::StreamPipeline pipeline(cfg, sink);
  const std::string& stream = upload_stream();
  const std::uint32_t isn[2] = {0xfffffe00u, 7};  // the client's numbers wrap
  std::vector<std::uint8_t> payload;
  std::uint64_t t = 1'000'000'000;
  for (std::size_t i = 1; i + 5 <= size; i += 5) {
    const std::uint8_t who = data[i], flags = data[i + 1];
    const std::uint16_t offset = static_cast<std::uint16_t>(data[i + 2] | (data[i + 3] << 8));
    const std::size_t len = data[i + 4];
    const int flow = who % 4, dir = (who >> 2) & 1;
    dijk::TcpSegment seg;
    seg.tuple = {ip(static_cast<std::uint8_t>(1 + flow)), ip(200), static_cast<std::uint16_t>(30000 + flow),
                 80};
    if (dir == 1) seg.tuple = {seg.tuple.dst, seg.tuple.src, seg.tuple.dst_port, seg.tuple.src_port};
    seg.flags = static_cast<std::uint8_t>(flags & 0x1f);
    seg.seq = isn[dir] + ((seg.flags & dijk::tcp_flags::syn) ? 0u : 1u + offset);
    t += (who & 0x80) ? 200'000'000'000ull : 1000;  // sometimes long enough to time flows out
    seg.time_ns = t;
    payload.resize(len);
    for (std::size_t k = 0; k < len; ++k) {
      const std::size_t pos = offset + k;
      payload[k] = static_cast<std::uint8_t>(pos < stream.size() && dir == 0 ? stream[pos] : 'x');
      if (flags & 0x80) payload[k] ^= 0x20;
    }
    seg.payload = payload;
    pipeline.process(seg);
    if (pipeline.flow_count() > 3 || pipeline.out_of_order_bytes() > 4096) std::abort();
  }
  pipeline.flush(t + 1);
  if (pipeline.flow_count() != 0 || pipeline.out_of_order_bytes() != 0) std::abort();
  return 0;
}
