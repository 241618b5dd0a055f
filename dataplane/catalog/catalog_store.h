#pragma once
// The fingerprint catalog on disk: RocksDB (chosen by bench/catalog: the fewest bytes a record of the
// three stores from Debian, and the fastest inserts), one record a stored file keyed by (device, inode),
// and a little metadata beside it: the trees the catalog covers and the set it was last hunted against.
//
// RocksDB's write-ahead log makes every put durable against a killed process (the OS still holds the
// written log); the catalog is a cache of what reading the files would tell, so a put lost to a power cut
// only costs that file a read on the next scan. One process writes at a time (RocksDB's LOCK file);
// others may open it read-only.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/catalog/catalog_record.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace dijk::catalog {

class CatalogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The set version a retro-hunt last covered: later versions' additions are still to be hunted.
struct HuntMark {
  std::uint64_t set_version = 0;
  std::uint64_t set_checksum = 0;  // HashSet::header_checksum(): names the contents, not just the number
  std::int64_t finished_ns = 0;
};

struct CatalogStats {
  std::uint64_t records = 0;     // RocksDB's estimate (exact after verify)
  std::uint64_t disk_bytes = 0;  // every file in the catalog's folder
  std::vector<std::string> roots;
  std::optional<HuntMark> hunted;
};

struct VerifyReport {
  bool checksums_ok = false;
  std::string checksum_error;
  std::uint64_t records = 0, with_pdq = 0, bad_records = 0;
  std::uint64_t file_bytes = 0;           // the catalogued files' sizes, summed
  std::vector<std::string> bad_examples;  // hex keys of the first few bad records and why
};

using RecordFn = std::function<void(const CatalogKey&, const CatalogRecord&)>;

class CatalogStore {
 public:
  enum class Mode { read_write, read_only };
  // Opens (read_write: creating it if needed) the catalog in `dir`. Throws CatalogError, naming the
  // folder and RocksDB's reason (e.g. another process holds it).
  CatalogStore(const std::string& dir, Mode mode);
  ~CatalogStore();
  CatalogStore(const CatalogStore&) = delete;
  CatalogStore& operator=(const CatalogStore&) = delete;

  const std::string& dir() const { return dir_; }

  // nullopt: no record, or one that does not decode (a re-scan then reads the file, which rewrites it).
  std::optional<CatalogRecord> get(const CatalogKey& key) const;
  // The stat stamps of many records at once (RocksDB's MultiGet: blocks shared by neighbouring keys are
  // read once), one per key in order; nullopt where there is no record or it does not decode.
  std::vector<std::optional<StatStamp>> stamps(std::span<const CatalogKey> keys) const;
  // Every record in key order; one that does not decode goes to on_bad (if given) and is skipped.
  void for_each(const RecordFn& fn,
                const std::function<void(const CatalogKey&, const std::string& why)>& on_bad = {}) const;

  // Every record's raw key and value bytes in key order (a retro-hunt's pass: no decoding on the way).
  void for_each_raw(const std::function<void(std::span<const std::uint8_t> key,
                                             std::span<const std::uint8_t> value)>& fn) const;

  // Batched puts from one thread (each thread its own writer): written every `batch` records, and when
  // flushed or destroyed.
  class Writer {
   public:
    explicit Writer(CatalogStore& store, std::size_t batch = 256);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    void put(const CatalogKey& key, const CatalogRecord& record);
    void erase(const CatalogKey& key);
    void flush();  // throws CatalogError if RocksDB refuses the write

   private:
    CatalogStore& store_;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
    std::size_t limit_;
    std::size_t pending_ = 0;
  };

  // The trees the catalog covers (a retro-hunt looks for its candidates' paths under them).
  std::vector<std::string> roots() const;
  void add_roots(const std::vector<std::string>& roots);  // absolute paths; each kept once
  std::optional<HuntMark> hunted() const;
  void set_hunted(const HuntMark& mark);

  CatalogStats stats() const;
  // Reads everything: RocksDB's block checksums, then every record decoded.
  VerifyReport verify() const;
  // Writes the memtable out and compacts, so that disk_bytes is what the records take (benchmarks,
  // `dijkctl catalog compact`).
  void compact();

 private:
  std::string meta_get(const std::string& key) const;
  void meta_put(const std::string& key, const std::string& value);

  std::string dir_;
  bool read_only_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* records_ = nullptr;  // the default column family (owned by the DB)
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
};

}  // namespace dijk::catalog
