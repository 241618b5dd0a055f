#pragma once
// Lower-case hex text <-> bytes, the form every hash takes in lists, reports and the CLI.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dijk {

std::string to_hex(std::span<const std::uint8_t> bytes);

// Parses an even-length run of hex digits (either case). Returns nullopt on any other character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

// Parses exactly out.size() bytes worth of hex into out; false on a wrong length or a non-hex digit.
bool from_hex_into(std::string_view text, std::span<std::uint8_t> out);

}  // namespace dijk
