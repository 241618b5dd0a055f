#pragma once
// The set version a feed directory publishes now (its manifest's), which the fleet's set lag is measured
// against. Throws when the directory holds no readable manifest.
#include <cstdint>
#include <string>

namespace dijk::hotline {

std::uint64_t published_version(const std::string& feed_dir);

}  // namespace dijk::hotline
