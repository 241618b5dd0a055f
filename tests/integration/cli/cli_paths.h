#pragma once
#include <string>

namespace dijk::test {
inline std::string dijkctl() { return std::string(DIJK_BINARY_DIR) + "/apps/dijkctl/dijkctl"; }
inline std::string hotline() { return std::string(DIJK_BINARY_DIR) + "/apps/dijk-hotline/dijk-hotline"; }
}  // namespace dijk::test
