// Hostile retraction ledgers (KEYS_DIR/ledger is a file anyone with the keys directory can edit, and a
// crash can tear its last line): parsing must never throw or crash, must stay within its caps, and every
// record it accepts must render and parse back to the same record.
#include <cstdint>
#include <string_view>

#include "control/feed/ledger.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::feed;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  LedgerLimits limits;
  limits.max_hashes_per_record = 64;
  const ParsedLedger parsed = parse_ledger(text, limits);
  for (const LedgerRecord& r : parsed.records) {
    if (r.hashes.size() > limits.max_hashes_per_record) __builtin_trap();
    const ParsedLedger again = parse_ledger(render_ledger_record(r), limits);
    if (again.records.size() != 1 || !again.problems.empty()) __builtin_trap();
    const LedgerRecord& b = again.records[0];
    if (b.kind != r.kind || b.time != r.time || b.by != r.by || b.note != r.note || b.version != r.version ||
        b.hashes.size() != r.hashes.size()) {
      __builtin_trap();
    }
  }
  const RetractedSet retracted(parsed.records);
  (void)retracted.size();
  return 0;
}
