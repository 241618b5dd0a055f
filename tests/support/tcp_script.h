#pragma once
// Builds TCP conversations segment by segment, as a capture would show them, for tests, fuzz targets and
// benchmarks of the stream stage: handshake, data cut at any segment size, FIN, RST. Header-only.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/packet/packet_view.h"

namespace dijk::test {

struct OwnedSegment {
  FlowTuple tuple;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint64_t time_ns = 0;
  std::vector<std::uint8_t> payload;

  TcpSegment view() const {
    TcpSegment s;
    s.tuple = tuple;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.window = 65535;
    s.time_ns = time_ns;
    s.payload = payload;
    return s;
  }
};

inline IpAddress ipv4(std::uint32_t a) {
  IpAddress ip;
  ip.bytes[10] = 0xff;
  ip.bytes[11] = 0xff;
  ip.bytes[12] = static_cast<std::uint8_t>(a >> 24);
  ip.bytes[13] = static_cast<std::uint8_t>(a >> 16);
  ip.bytes[14] = static_cast<std::uint8_t>(a >> 8);
  ip.bytes[15] = static_cast<std::uint8_t>(a);
  return ip;
}

inline std::vector<std::uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

// One TCP connection; appends its segments to `out`, one microsecond apart.
class Connection {
 public:
  Connection(std::vector<OwnedSegment>& out, FlowTuple client, std::uint32_t client_isn = 1000,
             std::uint32_t server_isn = 900000, std::uint64_t* clock = nullptr)
      : out_(out), client_(client), clock_(clock) {
    next_[0] = client_isn;
    next_[1] = server_isn;
  }

  FlowTuple tuple(int dir) const {
    return dir == 0 ? client_ : FlowTuple{client_.dst, client_.src, client_.dst_port, client_.src_port};
  }

  void handshake() {
    emit(0, tcp_flags::syn, {});
    ++next_[0];
    emit(1, tcp_flags::syn | tcp_flags::ack, {});
    ++next_[1];
    emit(0, tcp_flags::ack, {});
  }
  // dir 0: client -> server. Cuts `data` into segments of at most `mss` bytes.
  void send(int dir, std::span<const std::uint8_t> data, std::size_t mss = 1460) {
    for (std::size_t off = 0; off < data.size(); off += mss) {
      const std::size_t n = std::min(mss, data.size() - off);
      emit(dir, tcp_flags::ack | tcp_flags::psh, data.subspan(off, n));
      next_[dir] += static_cast<std::uint32_t>(n);
    }
  }
  void send(int dir, std::string_view text, std::size_t mss = 1460) {
    send(dir, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
         mss);
  }
  void fin(int dir) {
    emit(dir, tcp_flags::fin | tcp_flags::ack, {});
    ++next_[dir];
  }
  void close() {
    fin(0);
    fin(1);
    emit(0, tcp_flags::ack, {});
  }
  void rst(int dir) { emit(dir, tcp_flags::rst, {}); }

 private:
  void emit(int dir, std::uint8_t flags, std::span<const std::uint8_t> payload) {
    OwnedSegment s;
    s.tuple = tuple(dir);
    s.seq = next_[dir];
    s.ack = next_[1 - dir];
    s.flags = flags;
    s.time_ns = clock_ != nullptr ? (*clock_ += 1000) : (local_clock_ += 1000);
    s.payload.assign(payload.begin(), payload.end());
    out_.push_back(std::move(s));
  }

  std::vector<OwnedSegment>& out_;
  FlowTuple client_;
  std::uint32_t next_[2];
  std::uint64_t* clock_;
  std::uint64_t local_clock_ = 1'700'000'000'000'000'000ull;
};

// HTTP request text.
inline std::string multipart_body(
    std::string_view boundary, const std::vector<std::pair<std::string, std::string>>& fields,
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& files) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" + name +
            "\"\r\n\r\n" + value + "\r\n";
  }
  int i = 0;
  for (const auto& [filename, content] : files) {
    body += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"file" +
            std::to_string(i++) + "\"; filename=\"" + filename +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    body.append(content.begin(), content.end());
    body += "\r\n";
  }
  body += "--" + std::string(boundary) + "--\r\n";
  return body;
}

inline std::string multipart_request(std::string_view uri, std::string_view host, std::string_view boundary,
                                     const std::string& body) {
  return "POST " + std::string(uri) + " HTTP/1.1\r\nHost: " + std::string(host) +
         "\r\nUser-Agent: curl/7.88.1\r\nContent-Type: multipart/form-data; boundary=" +
         std::string(boundary) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string raw_request(std::string_view method, std::string_view uri, std::string_view host,
                               const std::vector<std::uint8_t>& body) {
  std::string r =
      std::string(method) + " " + std::string(uri) + " HTTP/1.1\r\nHost: " + std::string(host) +
      "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  r.append(body.begin(), body.end());
  return r;
}

inline std::string chunked_request(std::string_view uri, std::string_view host,
                                   const std::vector<std::uint8_t>& body, std::size_t chunk) {
  std::string r = "POST " + std::string(uri) + " HTTP/1.1\r\nHost: " + std::string(host) +
                  "\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n";
  char len[32];
  for (std::size_t off = 0; off < body.size(); off += chunk) {
    const std::size_t n = std::min(chunk, body.size() - off);
    std::snprintf(len, sizeof len, "%zx\r\n", n);
    r += len;
    r.append(body.begin() + static_cast<std::ptrdiff_t>(off),
             body.begin() + static_cast<std::ptrdiff_t>(off + n));
    r += "\r\n";
  }
  r += "0\r\n\r\n";
  return r;
}

inline const char* kOkResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Synthetic file contents: a JPEG or PNG signature followed by pseudo-random bytes.
inline std::vector<std::uint8_t> synthetic_file(std::size_t size, std::uint64_t seed, bool png = false) {
  std::vector<std::uint8_t> v(size);
  std::mt19937_64 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  const std::string_view magic =
      png ? std::string_view("\x89PNG\r\n\x1A\n", 8) : std::string_view("\xFF\xD8\xFF\xE0", 4);
  std::copy_n(magic.begin(), std::min(magic.size(), size), v.begin());
  return v;
}

}  // namespace dijk::test
