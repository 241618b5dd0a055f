#include "control/journal/record.h"

#include <algorithm>
#include <array>

#include "control/journal/crc32c.h"

namespace dijk::journal {
namespace {

enum FlagBits : std::uint8_t {
  kHasFlow = 1u << 0,
  kHasPdqDistance = 1u << 1,
  kHasPdqQuality = 1u << 2,
  kTruncated = 1u << 3,
  // API/ICAP hits: customer, upload_id, client_ip and action follow the other strings. Records without
  // it (every record written before it existed) decode as before.
  kHasCaller = 1u << 4,
  // Stored files: the owner's uid and the mtime follow pdq_quality. Older records decode as before.
  kHasFileStat = 1u << 5,
};
constexpr std::uint8_t kKnownFlags =
    kHasFlow | kHasPdqDistance | kHasPdqQuality | kTruncated | kHasCaller | kHasFileStat;

bool has_caller(const HitEvent& h) {
  return !h.customer.empty() || !h.upload_id.empty() || !h.client_ip.empty() || !h.action.empty();
}

class Encoder {
 public:
  explicit Encoder(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Strings carry a u16 length; fields are cut to kMaxFieldBytes, which fits.
  bool str(std::string_view s) {
    const bool cut = s.size() > kMaxFieldBytes;
    if (cut) s = s.substr(0, kMaxFieldBytes);
    u16(static_cast<std::uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
    return cut;
  }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
};

class Decoder {
 public:
  explicit Decoder(std::span<const std::uint8_t> in) : in_(in) {}
  bool u8(std::uint8_t& v) {
    std::uint64_t x = 0;
    if (!le(x, 1)) return false;
    v = static_cast<std::uint8_t>(x);
    return true;
  }
  bool u16(std::uint16_t& v) {
    std::uint64_t x = 0;
    if (!le(x, 2)) return false;
    v = static_cast<std::uint16_t>(x);
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::uint64_t x = 0;
    if (!le(x, 4)) return false;
    v = static_cast<std::uint32_t>(x);
    return true;
  }
  bool u64(std::uint64_t& v) { return le(v, 8); }
  bool bytes(std::span<std::uint8_t> out) {
    if (in_.size() - at_ < out.size()) return false;
    std::copy_n(in_.begin() + static_cast<std::ptrdiff_t>(at_), out.size(), out.begin());
    at_ += out.size();
    return true;
  }
  bool str(std::string& s) {
    std::uint16_t n = 0;
    if (!u16(n) || n > kMaxFieldBytes || in_.size() - at_ < n) return false;
    s.assign(reinterpret_cast<const char*>(in_.data() + at_), n);
    at_ += n;
    return true;
  }
  bool done() const { return at_ == in_.size(); }

 private:
  bool le(std::uint64_t& v, std::size_t n) {
    if (in_.size() - at_ < n) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{in_[at_ + i]} << (8 * i);
    at_ += n;
    return true;
  }
  std::span<const std::uint8_t> in_;
  std::size_t at_ = 0;
};

}  // namespace

std::uint32_t frame_checksum(std::uint32_t payload_size, std::span<const std::uint8_t> payload) {
  const std::array<std::uint8_t, 4> len{
      static_cast<std::uint8_t>(payload_size), static_cast<std::uint8_t>(payload_size >> 8),
      static_cast<std::uint8_t>(payload_size >> 16), static_cast<std::uint8_t>(payload_size >> 24)};
  return crc32c(payload, crc32c(len));
}

void append_framed_record(const HitEvent& hit, std::string_view appliance_id,
                          std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + kFrameHeaderSize);
  Encoder e(out);
  e.u8(kPayloadVersion);
  e.u64(hit.time_ns);
  e.u8(static_cast<std::uint8_t>(hit.source));
  e.u8(static_cast<std::uint8_t>(hit.kind));
  const std::size_t flags_at = out.size();
  std::uint8_t flags = 0;
  if (hit.flow) flags |= kHasFlow;
  if (hit.pdq_distance) flags |= kHasPdqDistance;
  if (hit.pdq_quality) flags |= kHasPdqQuality;
  if (has_caller(hit)) flags |= kHasCaller;
  if (hit.file_stat) flags |= kHasFileStat;
  e.u8(flags);
  if (hit.flow) {
    e.bytes(hit.flow->src.bytes);
    e.bytes(hit.flow->dst.bytes);
    e.u16(hit.flow->src_port);
    e.u16(hit.flow->dst_port);
  }
  e.u64(hit.size);
  e.u64(hit.set_version);
  if (hit.pdq_distance) e.u32(*hit.pdq_distance);
  if (hit.pdq_quality) e.u32(*hit.pdq_quality);
  if (hit.file_stat) {
    e.u32(hit.file_stat->owner_uid);
    e.u64(static_cast<std::uint64_t>(hit.file_stat->mtime_ns));
  }
  bool cut = false;
  for (std::string_view s :
       {appliance_id, std::string_view(hit.method), std::string_view(hit.host), std::string_view(hit.uri),
        std::string_view(hit.filename), std::string_view(hit.path), std::string_view(hit.file_type),
        std::string_view(hit.algorithm), std::string_view(hit.hash), std::string_view(hit.list),
        std::string_view(hit.category)}) {
    cut = e.str(s) || cut;
  }
  if (has_caller(hit)) {
    for (std::string_view s : {std::string_view(hit.customer), std::string_view(hit.upload_id),
                               std::string_view(hit.client_ip), std::string_view(hit.action)}) {
      cut = e.str(s) || cut;
    }
  }
  if (cut) out[flags_at] = static_cast<std::uint8_t>(out[flags_at] | kTruncated);

  const auto payload_size = static_cast<std::uint32_t>(out.size() - start - kFrameHeaderSize);
  const std::span<const std::uint8_t> payload(out.data() + start + kFrameHeaderSize, payload_size);
  const std::uint32_t crc = frame_checksum(payload_size, payload);
  for (int i = 0; i < 4; ++i) {
    out[start + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(payload_size >> (8 * i));
    out[start + 4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  }
}

std::optional<JournalRecord> decode_payload(std::span<const std::uint8_t> payload) {
  Decoder d(payload);
  JournalRecord r;
  HitEvent& h = r.hit;
  std::uint8_t version = 0, source = 0, kind = 0, flags = 0;
  if (!d.u8(version) || version != kPayloadVersion) return std::nullopt;
  if (!d.u64(h.time_ns) || !d.u8(source) || !d.u8(kind) || !d.u8(flags)) return std::nullopt;
  if (!is_hit_source(source)) return std::nullopt;
  if (kind != static_cast<std::uint8_t>(HitKind::exact) && kind != static_cast<std::uint8_t>(HitKind::pdq)) {
    return std::nullopt;
  }
  if ((flags & ~kKnownFlags) != 0) return std::nullopt;
  h.source = static_cast<HitSource>(source);
  h.kind = static_cast<HitKind>(kind);
  r.truncated_fields = (flags & kTruncated) != 0;
  if (flags & kHasFlow) {
    FlowTuple f;
    if (!d.bytes(f.src.bytes) || !d.bytes(f.dst.bytes) || !d.u16(f.src_port) || !d.u16(f.dst_port)) {
      return std::nullopt;
    }
    h.flow = f;
  }
  if (!d.u64(h.size) || !d.u64(h.set_version)) return std::nullopt;
  if (flags & kHasPdqDistance) {
    std::uint32_t v = 0;
    if (!d.u32(v)) return std::nullopt;
    h.pdq_distance = v;
  }
  if (flags & kHasPdqQuality) {
    std::uint32_t v = 0;
    if (!d.u32(v)) return std::nullopt;
    h.pdq_quality = v;
  }
  if (flags & kHasFileStat) {
    FileStat st;
    std::uint64_t mtime = 0;
    if (!d.u32(st.owner_uid) || !d.u64(mtime)) return std::nullopt;
    st.mtime_ns = static_cast<std::int64_t>(mtime);
    h.file_stat = st;
  }
  for (std::string* s : {&r.appliance_id, &h.method, &h.host, &h.uri, &h.filename, &h.path, &h.file_type,
                         &h.algorithm, &h.hash, &h.list, &h.category}) {
    if (!d.str(*s)) return std::nullopt;
  }
  if (flags & kHasCaller) {
    for (std::string* s : {&h.customer, &h.upload_id, &h.client_ip, &h.action}) {
      if (!d.str(*s)) return std::nullopt;
    }
  }
  if (!d.done()) return std::nullopt;
  return r;
}

FrameCheck check_frame(std::span<const std::uint8_t> bytes) {
  FrameCheck c;
  if (bytes.size() < kFrameHeaderSize) return c;
  std::uint32_t len = 0, crc = 0;
  for (int i = 0; i < 4; ++i) {
    len |= std::uint32_t{bytes[static_cast<std::size_t>(i)]} << (8 * i);
    crc |= std::uint32_t{bytes[4 + static_cast<std::size_t>(i)]} << (8 * i);
  }
  if (len == 0 || len > kMaxPayloadBytes) {
    c.status = FrameStatus::bad_length;
    return c;
  }
  if (bytes.size() - kFrameHeaderSize < len) return c;
  if (frame_checksum(len, bytes.subspan(kFrameHeaderSize, len)) != crc) {
    c.status = FrameStatus::bad_checksum;
    return c;
  }
  c.status = FrameStatus::ok;
  c.payload_size = len;
  return c;
}

}  // namespace dijk::journal
