#include <system_error>

#include "control/feed/files.h"
#include "control/feed/manifest.h"
#include "control/sync/fetcher.h"

namespace dijk::sync {

FetchResult DirectoryFetcher::fetch(const std::string& name, std::uint64_t max_bytes) {
  FetchResult r;
  if (!feed::valid_file_name(name)) return {feed::Failure::http, name + ": not a feed file name", {}};
  try {
    r.bytes = feed::read_file(dir_ + "/" + name, max_bytes);
  } catch (const std::system_error& e) {
    r.failure = e.code().value() == EFBIG ? feed::Failure::too_large : feed::Failure::http;
    r.detail = e.what();
  }
  return r;
}

}  // namespace dijk::sync
