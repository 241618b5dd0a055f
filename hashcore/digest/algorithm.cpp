#include "hashcore/digest/algorithm.h"

namespace dijk {

std::string_view algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::md5:
      return "md5";
    case Algorithm::sha1:
      return "sha1";
    case Algorithm::sha256:
      return "sha256";
  }
  return "unknown";
}

std::optional<Algorithm> algorithm_from_name(std::string_view name) {
  for (Algorithm a : kAllAlgorithms) {
    if (algorithm_name(a) == name) return a;
  }
  if (name == "sha-1") return Algorithm::sha1;
  if (name == "sha-256") return Algorithm::sha256;
  return std::nullopt;
}

std::optional<Algorithm> algorithm_from_hex_length(std::size_t hex_chars) {
  for (Algorithm a : kAllAlgorithms) {
    if (digest_size(a) * 2 == hex_chars) return a;
  }
  return std::nullopt;
}

}  // namespace dijk
