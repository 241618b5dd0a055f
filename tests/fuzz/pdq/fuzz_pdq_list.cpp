// Hostile PDQ lists through what `dijk-hotline import` runs: the list parser (as .pdq text and as CSV)
// feeding PdqListImport, then building and opening the index from whatever was accepted.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "hashcore/lists/hash_list_parser.h"
#include "hashcore/pdq_index/pdq_list_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (dijk::ListFormat format : {dijk::ListFormat::pdq_text, dijk::ListFormat::csv}) {
    dijk::PdqIndexBuilder builder;
    dijk::PdqListImport import(builder, 0);
    dijk::ListParseCallbacks cb;
    cb.on_pdq = [&](std::string_view hex, std::optional<int> quality, std::uint64_t) {
      return import(hex, quality);
    };
    const auto stats = dijk::parse_hash_list(std::span(data, size), format, cb);
    if (stats.pdq_hashes != import.added() + import.low_quality()) std::abort();
    const auto bytes = builder.build();
    const auto index = dijk::PdqIndex::open(bytes);
    if (!index || index->size() > import.added()) std::abort();
  }
  return 0;
}
