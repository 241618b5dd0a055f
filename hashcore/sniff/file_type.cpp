#include "hashcore/sniff/file_type.h"

#include <cstring>

namespace dijk {
namespace {
bool starts_with(std::span<const std::uint8_t> head, std::size_t offset, std::string_view magic) {
  return head.size() >= offset + magic.size() &&
         std::memcmp(head.data() + offset, magic.data(), magic.size()) == 0;
}

std::uint32_t le32(std::span<const std::uint8_t> h, std::size_t off) {
  return static_cast<std::uint32_t>(h[off]) | static_cast<std::uint32_t>(h[off + 1]) << 8 |
         static_cast<std::uint32_t>(h[off + 2]) << 16 | static_cast<std::uint32_t>(h[off + 3]) << 24;
}

// ISO base media files (HEIF family) start with a 'ftyp' box whose major brand names the format.
FileType sniff_ftyp(std::span<const std::uint8_t> head) {
  if (!starts_with(head, 4, "ftyp") || head.size() < 12) return FileType::unknown;
  const std::string_view brand(reinterpret_cast<const char*>(head.data() + 8), 4);
  if (brand == "avif" || brand == "avis") return FileType::avif;
  if (brand == "heic" || brand == "heix" || brand == "hevc" || brand == "hevx" || brand == "heim" ||
      brand == "heis" || brand == "mif1" || brand == "msf1") {
    return FileType::heic;
  }
  return FileType::unknown;
}
}  // namespace

FileType sniff_file_type(std::span<const std::uint8_t> head) {
  if (starts_with(head, 0, "\xFF\xD8\xFF")) return FileType::jpeg;
  if (starts_with(head, 0, "\x89PNG\r\n\x1A\n")) return FileType::png;
  if (starts_with(head, 0, "GIF87a") || starts_with(head, 0, "GIF89a")) return FileType::gif;
  if (starts_with(head, 0, "RIFF") && starts_with(head, 8, "WEBP")) return FileType::webp;
  if (starts_with(head, 0, std::string_view("II*\0", 4)) ||
      starts_with(head, 0, std::string_view("MM\0*", 4))) {
    return FileType::tiff;
  }
  // "BM" alone is too weak (text files start with it); the DIB header size must be a known one.
  if (starts_with(head, 0, "BM") && head.size() >= 18) {
    const std::uint32_t dib = le32(head, 14);
    if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124) {
      return FileType::bmp;
    }
  }
  return sniff_ftyp(head);
}

std::string_view file_type_name(FileType t) {
  switch (t) {
    case FileType::unknown:
      return "unknown";
    case FileType::jpeg:
      return "jpeg";
    case FileType::png:
      return "png";
    case FileType::gif:
      return "gif";
    case FileType::webp:
      return "webp";
    case FileType::bmp:
      return "bmp";
    case FileType::tiff:
      return "tiff";
    case FileType::heic:
      return "heic";
    case FileType::avif:
      return "avif";
  }
  return "unknown";
}

bool is_image(FileType t) {
  return t != FileType::unknown;
}

}  // namespace dijk
