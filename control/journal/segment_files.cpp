#include "control/journal/segment_files.h"

#include <algorithm>
#include <cstdio>

namespace dijk::journal {

std::string segment_file_name(std::uint64_t start) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(start));
  return name;
}

std::vector<SegmentInfo> list_segments(const std::filesystem::path& dir) {
  std::vector<SegmentInfo> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 24 || name.substr(20) != ".seg") continue;
    if (!std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::error_code size_ec;
    const auto size = std::filesystem::file_size(e.path(), size_ec);
    if (size_ec) continue;  // deleted between listing and stat (retention): skip it
    out.push_back({std::stoull(name.substr(0, 20)), e.path(), size});
  }
  std::sort(out.begin(), out.end(),
            [](const SegmentInfo& a, const SegmentInfo& b) { return a.start < b.start; });
  return out;
}

}  // namespace dijk::journal
