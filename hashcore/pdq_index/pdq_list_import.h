#pragma once
// What importing a PDQ list does with each hash the list parser (hashcore/lists) hands over: validate the
// text, drop hashes too flat to ever match, add the rest to the index under the list. Shared by
// `dijk-hotline import` and the fuzz target, so both run the same code.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hashcore/pdq_index/pdq_index.h"

namespace dijk {

class PdqListImport {
 public:
  PdqListImport(PdqIndexBuilder& builder, std::uint16_t list_index, int min_quality = kPdqDefaultMinQuality)
      : builder_(builder), list_(list_index), min_quality_(min_quality) {}

  // The ListParseCallbacks::on_pdq contract: an error reason, or empty if the line was fine (kept or
  // deliberately left out for low quality).
  std::string operator()(std::string_view hex, std::optional<int> quality) {
    const auto hash = PdqHash::from_hex(hex);
    if (!hash) return "not a PDQ hash (64 hex digits): '" + std::string(hex.substr(0, 80)) + "'";
    if (quality && (*quality < 0 || *quality > 100)) return "PDQ quality outside 0..100";
    if (quality.value_or(100) < min_quality_) {
      ++low_quality_;
      return {};
    }
    builder_.add(*hash, list_, static_cast<std::uint8_t>(quality.value_or(100)));
    ++added_;
    return {};
  }

  std::uint64_t added() const { return added_; }
  std::uint64_t low_quality() const { return low_quality_; }

 private:
  PdqIndexBuilder& builder_;
  std::uint16_t list_;
  int min_quality_;
  std::uint64_t added_ = 0;
  std::uint64_t low_quality_ = 0;
};

}  // namespace dijk
