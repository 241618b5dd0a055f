#include "hashcore/pdq/pdq_hash.h"

#include "hashcore/util/hex.h"

namespace dijk {

std::string PdqHash::to_hex() const {
  return dijk::to_hex(bytes);
}

std::optional<PdqHash> PdqHash::from_hex(std::string_view text) {
  PdqHash h;
  if (text.size() != 64 || !from_hex_into(text, h.bytes)) return std::nullopt;
  return h;
}

std::string_view pdq_dihedral_name(PdqDihedral d) {
  switch (d) {
    case PdqDihedral::original:
      return "original";
    case PdqDihedral::rotate90:
      return "rotate90";
    case PdqDihedral::rotate180:
      return "rotate180";
    case PdqDihedral::rotate270:
      return "rotate270";
    case PdqDihedral::flip_x:
      return "flipx";
    case PdqDihedral::flip_y:
      return "flipy";
    case PdqDihedral::flip_plus1:
      return "flip_plus1";
    case PdqDihedral::flip_minus1:
      return "flip_minus1";
  }
  return "unknown";
}

}  // namespace dijk
