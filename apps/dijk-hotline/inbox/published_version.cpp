#include "apps/dijk-hotline/inbox/published_version.h"

#include <filesystem>

#include "control/feed/files.h"
#include "control/feed/manifest.h"

namespace dijk::hotline {

std::uint64_t published_version(const std::string& feed_dir) {
  const std::string text =
      feed::read_text_file((std::filesystem::path(feed_dir) / "manifest").string(), feed::kMaxManifestBytes);
  return feed::parse_manifest_file(text).manifest.version;
}

}  // namespace dijk::hotline
