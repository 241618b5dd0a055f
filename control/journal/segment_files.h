#pragma once
// Segment files in a journal directory: named by the logical position of their first byte
// (20 decimal digits + ".seg"), so a sorted listing is the journal in order.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dijk::journal {

struct SegmentInfo {
  std::uint64_t start = 0;  // logical position of the segment's first byte
  std::filesystem::path path;
  std::uint64_t size = 0;  // bytes in the file at listing time
};

std::string segment_file_name(std::uint64_t start);
// Segments in start order; files whose names are not segment names are ignored.
std::vector<SegmentInfo> list_segments(const std::filesystem::path& dir);

inline constexpr const char* kCommitMarkerName = "commit";
inline constexpr const char* kLockName = "lock";

}  // namespace dijk::journal
