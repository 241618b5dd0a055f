#include "bench/wire/upload_traffic.h"

#include <array>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "hashcore/set/set_builder.h"

namespace dijk::bench {
namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}

class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary | std::ios::trunc) {
    if (!out_) throw std::runtime_error("cannot write " + path);
    out_.rdbuf()->pubsetbuf(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    const std::array<std::uint32_t, 6> header{0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
    out_.write(reinterpret_cast<const char*>(header.data()), sizeof(header));
  }
  void write(std::uint64_t time_us, const std::uint8_t* frame, std::size_t len) {
    const std::array<std::uint32_t, 4> rec{static_cast<std::uint32_t>(time_us / 1'000'000),
                                           static_cast<std::uint32_t>(time_us % 1'000'000),
                                           static_cast<std::uint32_t>(len), static_cast<std::uint32_t>(len)};
    out_.write(reinterpret_cast<const char*>(rec.data()), sizeof(rec));
    out_.write(reinterpret_cast<const char*>(frame), static_cast<std::streamsize>(len));
  }
  void close() {
    out_.close();
    if (!out_) throw std::runtime_error("writing the capture failed");
  }

 private:
  std::vector<char> buffer_ = std::vector<char>(1 << 22);
  std::ofstream out_;
};

struct Flow {
  std::uint32_t client_ip = 0;
  std::uint16_t client_port = 0;
  std::uint32_t cseq = 0, sseq = 0;  // next sequence numbers
  std::vector<std::uint8_t> request;
  std::size_t sent = 0;
  unsigned stage = 0;  // 0 handshake, 1 data, 2 closing, 3 done
  unsigned since_ack = 0;
};

constexpr std::uint32_t kServerIp = 0x0a020001;  // 10.2.0.1
constexpr std::uint16_t kServerPort = 80;

}  // namespace

TrafficStats write_upload_capture(const std::string& path, const TrafficSpec& spec) {
  PcapWriter pcap(path);
  TrafficStats stats;
  std::uint64_t time_us = 1'700'000'000ull * 1'000'000ull;
  std::uint64_t rng = 0x9e3779b97f4a7c15ull;
  const auto next_random = [&] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  std::array<std::uint8_t, 1600> frame{};

  const auto emit = [&](const Flow& f, bool from_client, std::uint8_t flags, const std::uint8_t* data,
                        std::size_t len) {
    std::uint8_t* e = frame.data();
    std::memset(e, 0, 54);
    e[0] = 0x02, e[5] = from_client ? 2 : 1, e[6] = 0x02, e[11] = from_client ? 1 : 2;
    put16(e + 12, 0x0800);
    std::uint8_t* ip = e + 14;
    ip[0] = 0x45;
    put16(ip + 2, static_cast<std::uint16_t>(40 + len));
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, from_client ? f.client_ip : kServerIp);
    put32(ip + 16, from_client ? kServerIp : f.client_ip);
    std::uint8_t* tcp = ip + 20;
    put16(tcp, from_client ? f.client_port : kServerPort);
    put16(tcp + 2, from_client ? kServerPort : f.client_port);
    put32(tcp + 4, from_client ? f.cseq : f.sseq);
    put32(tcp + 8, (flags & 0x10) ? (from_client ? f.sseq : f.cseq) : 0);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (len) std::memcpy(tcp + 20, data, len);
    pcap.write(time_us++, frame.data(), 54 + len);
    ++stats.frames;
    stats.frame_bytes += 54 + len;
  };

  // One file body, reused by every flow (its bytes do not matter, only that they are hashed): JPEG magic,
  // then pseudo-random bytes.
  std::vector<std::uint8_t> file(spec.file_bytes);
  for (auto& b : file) b = static_cast<std::uint8_t>(next_random());
  const std::array<std::uint8_t, 4> jpeg{0xff, 0xd8, 0xff, 0xe0};
  std::memcpy(file.data(), jpeg.data(), std::min(file.size(), jpeg.size()));

  std::uint32_t flow_counter = 0;
  const auto start_flow = [&](Flow& f) {
    ++flow_counter;
    ++stats.flows;
    f = Flow{};
    f.client_ip = 0x0a010000u | (flow_counter & 0xffffu);  // 10.1.x.y
    f.client_port = static_cast<std::uint16_t>(1024 + (flow_counter >> 16) * 7 + (flow_counter % 50000));
    f.cseq = static_cast<std::uint32_t>(next_random());
    f.sseq = static_cast<std::uint32_t>(next_random());
    const std::string boundary = "----dijkbench" + std::to_string(flow_counter);
    const std::string pre = "--" + boundary +
                            "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo" +
                            std::to_string(flow_counter) + ".jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
    const std::string post = "\r\n--" + boundary + "--\r\n";
    const std::string head =
        "POST /upload HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: dijk-bench\r\n"
        "Content-Type: multipart/form-data; boundary=" +
        boundary + "\r\nContent-Length: " + std::to_string(pre.size() + file.size() + post.size()) +
        "\r\n\r\n";
    f.request.reserve(head.size() + pre.size() + file.size() + post.size());
    f.request.insert(f.request.end(), head.begin(), head.end());
    f.request.insert(f.request.end(), pre.begin(), pre.end());
    f.request.insert(f.request.end(), file.begin(), file.end());
    f.request.insert(f.request.end(), post.begin(), post.end());
    stats.file_bytes += file.size();
  };

  std::vector<Flow> flows(spec.concurrent_flows);
  for (auto& f : flows) start_flow(f);
  bool more = true;
  while (more) {
    more = false;
    for (auto& f : flows) {
      if (f.stage == 3) continue;
      more = true;
      switch (f.stage) {
        case 0:
          emit(f, true, 0x02, nullptr, 0);
          ++f.cseq;
          emit(f, false, 0x12, nullptr, 0);
          ++f.sseq;
          emit(f, true, 0x10, nullptr, 0);
          f.stage = 1;
          break;
        case 1: {
          const std::size_t n = std::min<std::size_t>(spec.mss, f.request.size() - f.sent);
          emit(f, true, 0x18, f.request.data() + f.sent, n);
          f.sent += n;
          f.cseq += static_cast<std::uint32_t>(n);
          if (++f.since_ack == 4 || f.sent == f.request.size()) {
            emit(f, false, 0x10, nullptr, 0);
            f.since_ack = 0;
          }
          if (f.sent == f.request.size()) f.stage = 2;
          break;
        }
        case 2: {
          static constexpr char kAnswer[] = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
          emit(f, false, 0x18, reinterpret_cast<const std::uint8_t*>(kAnswer), sizeof(kAnswer) - 1);
          f.sseq += sizeof(kAnswer) - 1;
          emit(f, true, 0x11, nullptr, 0);
          ++f.cseq;
          emit(f, false, 0x11, nullptr, 0);
          ++f.sseq;
          emit(f, true, 0x10, nullptr, 0);
          f.stage = 3;
          if (stats.frame_bytes < spec.total_bytes) start_flow(f);
          break;
        }
        default:
          break;
      }
    }
  }
  pcap.close();
  return stats;
}

void write_md5_sha1_decoy_set(const std::string& path) {
  SetBuilder builder;
  const auto list = builder.add_list("bench", "none");
  Digest md5{Algorithm::md5, {}};
  md5.bytes[0] = 1;
  Digest sha1{Algorithm::sha1, {}};
  sha1.bytes[0] = 1;
  builder.add(md5, list);
  builder.add(sha1, list);
  builder.write(path, 1);
}

}  // namespace dijk::bench
