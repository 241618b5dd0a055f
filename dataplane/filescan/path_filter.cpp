#include "dataplane/filescan/path_filter.h"

#include <fnmatch.h>

namespace dijk::scan {

bool PathFilter::matches_any(const std::vector<std::string>& patterns, const std::string& path) {
  if (patterns.empty()) return false;
  std::string_view trimmed(path);
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  const auto slash = trimmed.rfind('/');
  const std::string name(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
  for (const auto& p : patterns) {
    const bool whole_path = p.find('/') != std::string::npos;
    if (::fnmatch(p.c_str(), whole_path ? path.c_str() : name.c_str(), 0) == 0) return true;
  }
  return false;
}

bool PathFilter::excluded(const std::string& path) const {
  return matches_any(exclude_, path);
}

bool PathFilter::takes_file(const std::string& path) const {
  if (excluded(path)) return false;
  return include_.empty() || matches_any(include_, path);
}

}  // namespace dijk::scan
