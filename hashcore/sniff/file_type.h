#pragma once
// File type by magic bytes. Only the first kSniffBytes of a file are needed, so the wire path can decide
// from the first segment of a body whether the file goes to the image stage.
#include <cstdint>
#include <span>
#include <string_view>

namespace dijk {

enum class FileType : std::uint8_t { unknown, jpeg, png, gif, webp, bmp, tiff, heic, avif };

inline constexpr std::size_t kSniffBytes = 32;

FileType sniff_file_type(std::span<const std::uint8_t> head);
std::string_view file_type_name(FileType t);
bool is_image(FileType t);

}  // namespace dijk
