#include "config/cli/version.h"

namespace dijk::cli {

std::string_view dijk_version() {
  return DIJK_VERSION;
}

}  // namespace dijk::cli
