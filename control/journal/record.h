#pragma once
// The journal record: a frame (length, CRC32C) around a payload that encodes one HitEvent and the id of
// the appliance that saw it. The layout is documented in docs/journal.md; change both together.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hit_event.h"

namespace dijk::journal {

// Frame header: u32 payload length, u32 CRC32C over (the 4 length bytes, then the payload), little endian.
inline constexpr std::size_t kFrameHeaderSize = 8;
// No field of a hit is longer than this; longer ones are cut at encode time and the record is flagged.
inline constexpr std::size_t kMaxFieldBytes = 16 * 1024;
// Bound on any payload, so a corrupt length can never make a reader allocate more.
inline constexpr std::uint32_t kMaxPayloadBytes = 256 * 1024;
inline constexpr std::uint8_t kPayloadVersion = 1;

struct JournalRecord {
  std::string appliance_id;
  HitEvent hit;
  bool truncated_fields = false;  // set when a field was longer than kMaxFieldBytes at encode time
};

// Appends the framed record (header + payload) to out.
void append_framed_record(const HitEvent& hit, std::string_view appliance_id, std::vector<std::uint8_t>& out);

// Decodes a payload (the bytes after the frame header). nullopt on any malformation: every length is
// checked, trailing bytes are an error.
std::optional<JournalRecord> decode_payload(std::span<const std::uint8_t> payload);

enum class FrameStatus { ok, incomplete, bad_length, bad_checksum };

struct FrameCheck {
  FrameStatus status = FrameStatus::incomplete;
  std::uint32_t payload_size = 0;  // valid when status is ok
};

// Validates the frame at the start of bytes: header present, length in bounds, payload present, CRC right.
FrameCheck check_frame(std::span<const std::uint8_t> bytes);

std::uint32_t frame_checksum(std::uint32_t payload_size, std::span<const std::uint8_t> payload);

}  // namespace dijk::journal
