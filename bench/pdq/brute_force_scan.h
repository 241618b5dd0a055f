#pragma once
// The brute-force reference: one popcount pass over every stored hash. Its .cpp is built with
// -march=native so the scan gets the machine's hardware popcount and widest vectors.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dijk::bench {

// hashes: 4 words per hash, n hashes. Appends the index of every hash within radius of query to out.
void brute_force_scan(const std::uint64_t* hashes, std::size_t n, const std::uint64_t* query, int radius,
                      std::vector<std::uint32_t>& out);

}  // namespace dijk::bench
