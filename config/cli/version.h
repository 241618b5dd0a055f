#pragma once
// The version every dijk program reports (--version, status, the dijk_build_info metric): the CMake project
// version, or `git describe` when the tree was configured from a git checkout.
#include <string_view>

namespace dijk::cli {

std::string_view dijk_version();

}  // namespace dijk::cli
