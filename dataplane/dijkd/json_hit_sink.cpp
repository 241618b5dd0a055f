#include "dataplane/dijkd/json_hit_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace dijk {

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {  // keep the output ASCII whatever the request carried
          std::array<char, 8> buf{};
          std::snprintf(buf.data(), buf.size(), "\\u%04x", c);
          out += buf.data();
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string ip_to_string(const IpAddress& a) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  const bool mapped = a.bytes[10] == 0xff && a.bytes[11] == 0xff &&
                      std::all_of(a.bytes.begin(), a.bytes.begin() + 10, [](auto b) { return b == 0; });
  if (mapped) {
    inet_ntop(AF_INET, a.bytes.data() + 12, buf.data(), buf.size());
  } else {
    inet_ntop(AF_INET6, a.bytes.data(), buf.data(), buf.size());
  }
  return buf.data();
}

namespace {
std::string iso_time(std::uint64_t ns) {
  const auto secs = static_cast<std::time_t>(ns / 1'000'000'000u);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 64> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 16> frac{};
  std::snprintf(frac.data(), frac.size(), ".%06uZ", static_cast<unsigned>((ns / 1000u) % 1'000'000u));
  return std::string(buf.data(), n) + frac.data();
}
}  // namespace

std::string hit_to_json(const HitEvent& h) {
  std::string j = "{\"time\":\"" + iso_time(h.time_ns) + "\"";
  const auto str = [&](const char* key, const std::string& v) {
    j += ",\"";
    j += key;
    j += "\":\"" + json_escape(v) + "\"";
  };
  if (h.flow) {
    str("src", ip_to_string(h.flow->src));
    str("dst", ip_to_string(h.flow->dst));
    j += ",\"sport\":" + std::to_string(h.flow->src_port) + ",\"dport\":" + std::to_string(h.flow->dst_port);
  }
  str("method", h.method);
  str("host", h.host);
  str("uri", h.uri);
  str("filename", h.filename);
  j += ",\"size\":" + std::to_string(h.size);
  str("algorithm", h.algorithm);
  str("hash", h.hash);
  str("list", h.list);
  if (h.pdq_distance) j += ",\"distance\":" + std::to_string(*h.pdq_distance);
  if (h.pdq_quality) j += ",\"quality\":" + std::to_string(*h.pdq_quality);
  j += "}";
  return j;
}

void JsonLinesHitSink::on_hit(const HitEvent& hit) {
  std::string line;
  if (json_) {
    line = hit_to_json(hit);
  } else {
    line = "HIT " + hit.algorithm + " " + hit.hash + " list=" + hit.list + " " + hit.method + " " + hit.host +
           hit.uri + " file=\"" + json_escape(hit.filename) + "\" size=" + std::to_string(hit.size);
    if (hit.flow)
      line += " " + ip_to_string(hit.flow->src) + ":" + std::to_string(hit.flow->src_port) + " -> " +
              ip_to_string(hit.flow->dst) + ":" + std::to_string(hit.flow->dst_port);
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  ++hits_;
}

std::uint64_t JsonLinesHitSink::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

}  // namespace dijk

namespace dijk {

JsonFileHitSink::JsonFileHitSink(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("cannot open hits file " + path + ": " + std::strerror(errno));
}

JsonFileHitSink::~JsonFileHitSink() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonFileHitSink::on_hit(const HitEvent& hit) {
  const std::string line = hit_to_json(hit) + "\n";
  std::lock_guard lock(mutex_);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "dijkd: writing %s failed: %s\n", path_.c_str(), std::strerror(errno));
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0)
    std::fprintf(stderr, "dijkd: fdatasync %s failed: %s\n", path_.c_str(), std::strerror(errno));
}

}  // namespace dijk
