#pragma once
// The PDQ index as a section of the set file: written through SetBuilder::add_raw_section, read back in
// place from the mapped HashSet.
#include <cstdint>
#include <optional>
#include <string>

#include "hashcore/pdq_index/pdq_index.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/set/set_builder.h"

namespace dijk {

// Builds the index from everything added to `builder` and hands it to the set builder.
void add_pdq_section(SetBuilder& set, PdqIndexBuilder& builder);

// The set's PDQ index: empty if the set has no PDQ section, nullopt (with a reason) if it is malformed.
// The index points into `set`'s mapping: keep the shared_ptr alive as long as the index.
std::optional<PdqIndex> pdq_index_of(const HashSet& set, std::string* error = nullptr);

// What the set can match: exact hashes of every algorithm plus PDQ hashes. The one count both daemons
// report (status, metrics, logs), so they agree on the size of the same set.
std::uint64_t set_entry_count(const HashSet& set);

}  // namespace dijk
