#pragma once
// Which paths a scan takes (`dijkctl scan --exclude GLOB --include GLOB`). An excluded path is skipped,
// and an excluded directory is not entered at all. With any --include, a file is taken only when it
// matches one; directories are always entered (a file deep below may match). A pattern holding a '/' is
// matched against the whole path, one without against the last component alone, as `find -name` and
// rsync do; the syntax is fnmatch(3)'s: * ? [...] with '\' quoting.
#include <string>
#include <string_view>
#include <vector>

namespace dijk::scan {

class PathFilter {
 public:
  PathFilter() = default;
  PathFilter(std::vector<std::string> include, std::vector<std::string> exclude)
      : include_(std::move(include)), exclude_(std::move(exclude)) {}

  // Files and directories.
  bool excluded(const std::string& path) const;
  // Files: not excluded, and matching an --include when there are any.
  bool takes_file(const std::string& path) const;

 private:
  static bool matches_any(const std::vector<std::string>& patterns, const std::string& path);

  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
};

}  // namespace dijk::scan
