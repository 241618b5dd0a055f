#pragma once
// The retraction ledger: an append-only text file beside the feed's keys (KEYS_DIR/ledger) that records
// every publish, retraction and unretraction with who, when and why. Every later publish honours it: a
// retracted hash stays out of the feed, whatever set is published, until it is unretracted.
//
// One record a line, tab-separated `key=value` fields after the kind; values are %-escaped (%, tab, CR,
// LF and other control bytes as %XX), so a note can hold any bytes and still not break a line:
//   publish   time=T by=WHO note=TEXT version=V hashes=N added=N removed=N held=N
//   retract   time=T by=WHO note=TEXT hashes=md5:HEX,sha256:HEX,...
//   unretract time=T by=WHO note=TEXT hashes=...
// Unknown keys are kept out of the model (a later version may add some); a line that does not parse is
// reported by number and skipped, so one damaged line never hides the rest.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hashcore/digest/algorithm.h"

namespace dijk::feed {

enum class LedgerKind { publish, retract, unretract };
std::string_view ledger_kind_name(LedgerKind kind);

struct LedgerRecord {
  LedgerKind kind = LedgerKind::publish;
  std::int64_t time = 0;
  std::string by;
  std::string note;
  std::vector<Digest> hashes;  // retract / unretract
  // publish only
  std::uint64_t version = 0;
  std::uint64_t total = 0;  // hashes in the published version
  std::uint64_t added = 0;
  std::uint64_t removed = 0;
  std::uint64_t held = 0;  // hashes of the set kept out because they are retracted
};

struct LedgerProblem {
  std::uint64_t line = 0;
  std::string reason;
};

// Caps on what a hostile or damaged ledger can make the parser hold.
struct LedgerLimits {
  std::size_t max_line_bytes = 1u << 20;
  std::size_t max_hashes_per_record = 100'000;
  std::size_t max_text_bytes = 4096;  // `by` and `note`
};

struct ParsedLedger {
  std::vector<LedgerRecord> records;
  std::vector<LedgerProblem> problems;
};

// One record as a line (with its newline).
std::string render_ledger_record(const LedgerRecord& record);
// Every line of `text`. Never throws on content: bad lines become problems.
ParsedLedger parse_ledger(std::string_view text, const LedgerLimits& limits = {});

// A digest as the ledger and the CLI spell it ("md5:HEX"); and back (also bare hex, algorithm by length).
std::string digest_label(const Digest& d);
std::optional<Digest> parse_digest_label(std::string_view text);

struct DigestLess {
  bool operator()(const Digest& a, const Digest& b) const;
};

// The hashes retracted now (retracted and not unretracted since), each with the record that retracted it.
class RetractedSet {
 public:
  explicit RetractedSet(const std::vector<LedgerRecord>& records);
  bool contains(const Digest& d) const { return by_digest_.contains(d); }
  const LedgerRecord* retraction(const Digest& d) const;
  std::size_t size() const { return by_digest_.size(); }
  const std::map<Digest, LedgerRecord, DigestLess>& all() const { return by_digest_; }

 private:
  std::map<Digest, LedgerRecord, DigestLess> by_digest_;
};

// The ledger file of one keys directory.
class Ledger {
 public:
  explicit Ledger(std::string keys_dir);
  const std::string& path() const { return path_; }
  // The whole ledger (empty when there is none yet).
  ParsedLedger read() const;
  // Appends one record durably (O_APPEND, fsync). A torn last line from a crash is closed first, so it
  // damages only itself.
  void append(const LedgerRecord& record) const;

 private:
  std::string path_;
};

}  // namespace dijk::feed
