#pragma once
// Synthetic HTTP upload traffic for the wire benchmark, written as a classic pcap: many concurrent TCP
// connections, each a full handshake, one multipart POST of a JPEG-looking file in MSS-sized segments
// (server ACKs every 4th), a 201 answer and a FIN exchange; connections interleave segment by segment and
// a finished one is replaced by a new one until the capture reaches its size. IP/TCP checksums are left
// zero (the dataplane does not verify them; NICs do).
#include <cstdint>
#include <string>

namespace dijk::bench {

struct TrafficSpec {
  std::uint64_t total_bytes = 1ull << 30;  // frame bytes to write, at least
  unsigned concurrent_flows = 256;
  std::size_t file_bytes = 1u << 20;
  std::uint16_t mss = 1448;
};

struct TrafficStats {
  std::uint64_t frames = 0;
  std::uint64_t frame_bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t file_bytes = 0;  // sum of uploaded file sizes
};

TrafficStats write_upload_capture(const std::string& path, const TrafficSpec& spec);

// A set file with one MD5 and one SHA-1 entry that match nothing: the stream stage computes exactly
// MD5+SHA-1 for every file, and no upload is a hit.
void write_md5_sha1_decoy_set(const std::string& path);

}  // namespace dijk::bench
