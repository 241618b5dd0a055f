// Which embedded store holds the fingerprint catalog of issue #17: one record a stored file, keyed by
// (device, inode), holding what a re-scan checks by stat (size, mtime, ctime) and what a retro-hunt
// matches (MD5, SHA-1, PDQ and its quality): 16 bytes of key, 90 of value. Each candidate from Debian
// (SQLite, LMDB, RocksDB) gets the same N records in the same order (inode order as a file system walk
// gives it: random), then N random point lookups (a re-scan's stat check) and one full scan (a
// retro-hunt reads every record). The reference, in the same run: a flat file of the same records, whose
// size is the bytes a record needs and whose sequential read is the fastest a full scan can be.
//
//   catalog_store_bench [--entries N] [--dir DIR] [--stores rocksdb,lmdb,sqlite]
//   (default 2,000,000 records, in /var/tmp, all three in that order). Each store's files are removed once
//   it is measured, so that at 100M records the disk holds the flat file and one store at a time.
#include <lmdb.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kKey = 16;    // device, inode (big endian, so keys sort by device then inode)
constexpr std::size_t kValue = 90;  // see make_record

struct Record {
  unsigned char key[kKey];
  unsigned char value[kValue];
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::uint64_t dir_bytes(const fs::path& p) {
  std::uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

// The value, 90 bytes: size 6 (up to 256 TiB), mtime 8, ctime 8 (ns), MD5 16, SHA-1 20, PDQ 32. The PDQ
// quality goes in the size's spare top bits. Random bytes here: digests do not compress, and neither do
// nanosecond times. Record i is made from i when asked for, not kept: at 100M records a kept copy (10.6
// GB) took the page cache the stores need, and LMDB's inserts thrashed.
class Records {
 public:
  explicit Records(std::size_t n) : n_(n) {}
  std::size_t size() const { return n_; }
  Record operator[](std::size_t i) const {
    Record r{};
    std::uint64_t state = 0x9e3779b97f4a7c15ull * (i + 1);
    const std::uint64_t dev = 2049, ino = next(state);
    for (int b = 0; b < 8; ++b) {
      r.key[b] = static_cast<unsigned char>(dev >> (56 - 8 * b));
      r.key[8 + b] = static_cast<unsigned char>(ino >> (56 - 8 * b));
    }
    for (std::size_t b = 0; b < kValue; b += 8) {
      const std::uint64_t v = next(state);
      std::memcpy(r.value + b, &v, std::min<std::size_t>(8, kValue - b));
    }
    return r;
  }

 private:
  static std::uint64_t next(std::uint64_t& state) {  // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t n_;
};

struct Figures {
  const char* store = "";
  double insert_per_s = 0, lookup_per_s = 0, scan_per_s = 0;
  double bytes_per_record = 0;
};

void print(const Figures& f, const Figures& ref) {
  std::printf(
      "%-8s insert %9.0f/s   lookup %9.0f/s   full scan %11.0f records/s (%.2f of the flat file)   "
      "%6.1f bytes a record (%.2fx the flat file)\n",
      f.store, f.insert_per_s, f.lookup_per_s, f.scan_per_s, f.scan_per_s / ref.scan_per_s,
      f.bytes_per_record, f.bytes_per_record / ref.bytes_per_record);
  std::fflush(stdout);  // a long run shows each store as it is done
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

Figures flat_file(const fs::path& dir, const Records& recs) {
  Figures f;
  f.store = "flat";
  const fs::path p = dir / "flat.bin";
  auto t0 = std::chrono::steady_clock::now();
  {
    std::ofstream out(p, std::ios::binary);
    std::vector<Record> chunk;
    for (std::size_t i = 0; i < recs.size();) {
      chunk.clear();
      for (std::size_t end = std::min(recs.size(), i + 65536); i < end; ++i) chunk.push_back(recs[i]);
      out.write(reinterpret_cast<const char*>(chunk.data()),
                static_cast<std::streamsize>(chunk.size() * sizeof(Record)));
    }
  }
  f.insert_per_s = static_cast<double>(recs.size()) / seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  std::ifstream in(p, std::ios::binary);
  std::vector<Record> buf(65536);
  std::uint64_t n = 0, sum = 0;
  while (in.read(reinterpret_cast<char*>(buf.data()),
                 static_cast<std::streamsize>(buf.size() * sizeof(Record))) ||
         in.gcount() > 0) {
    const auto got = static_cast<std::size_t>(in.gcount()) / sizeof(Record);
    for (std::size_t i = 0; i < got; ++i) sum += buf[i].value[0];
    n += got;
  }
  check(n == recs.size() && sum > 0, "flat scan");
  f.scan_per_s = static_cast<double>(n) / seconds_since(t0);
  f.bytes_per_record = static_cast<double>(fs::file_size(p)) / static_cast<double>(recs.size());
  return f;
}

Figures sqlite(const fs::path& dir, const Records& recs, const std::vector<std::size_t>& probes) {
  Figures f;
  f.store = "sqlite";
  sqlite3* db = nullptr;
  check(sqlite3_open((dir / "catalog.sqlite").c_str(), &db) == SQLITE_OK, "sqlite open");
  // WAL, as a catalog rewritten by every scan would run it, and a page cache of 4 GiB (the default is
  // 2 MiB, which makes every random insert into a large tree a read() of its leaf): LMDB has the whole
  // page cache through its map, and RocksDB's inserts need no cache at all.
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-4194304;", nullptr,
               nullptr, nullptr);
  sqlite3_exec(db, "CREATE TABLE f (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;", nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO f VALUES (?, ?)", -1, &ins, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (i % 100000 == 0) sqlite3_exec(db, i == 0 ? "BEGIN" : "COMMIT; BEGIN", nullptr, nullptr, nullptr);
    const Record r = recs[i];  // bound SQLITE_STATIC: it outlives the step
    sqlite3_bind_blob(ins, 1, r.key, kKey, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 2, r.value, kValue, SQLITE_STATIC);
    check(sqlite3_step(ins) == SQLITE_DONE, "sqlite insert");
    sqlite3_reset(ins);
  }
  sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr);
  f.insert_per_s = static_cast<double>(recs.size()) / seconds_since(t0);
  sqlite3_finalize(ins);
  sqlite3_stmt* get = nullptr;
  sqlite3_prepare_v2(db, "SELECT v FROM f WHERE k = ?", -1, &get, nullptr);
  t0 = std::chrono::steady_clock::now();
  for (std::size_t i : probes) {
    const Record r = recs[i];
    sqlite3_bind_blob(get, 1, r.key, kKey, SQLITE_STATIC);
    check(sqlite3_step(get) == SQLITE_ROW, "sqlite lookup");
    sqlite3_reset(get);
  }
  f.lookup_per_s = static_cast<double>(probes.size()) / seconds_since(t0);
  sqlite3_finalize(get);
  sqlite3_stmt* scan = nullptr;
  sqlite3_prepare_v2(db, "SELECT k, v FROM f", -1, &scan, nullptr);
  t0 = std::chrono::steady_clock::now();
  std::uint64_t n = 0, sum = 0;
  while (sqlite3_step(scan) == SQLITE_ROW) {
    sum += static_cast<const unsigned char*>(sqlite3_column_blob(scan, 1))[0];
    ++n;
  }
  check(n == recs.size() && sum > 0, "sqlite scan");
  f.scan_per_s = static_cast<double>(n) / seconds_since(t0);
  sqlite3_finalize(scan);
  sqlite3_close(db);
  f.bytes_per_record =
      static_cast<double>(fs::file_size(dir / "catalog.sqlite")) / static_cast<double>(recs.size());
  return f;
}

Figures lmdb(const fs::path& dir, const Records& recs, const std::vector<std::size_t>& probes) {
  Figures f;
  f.store = "lmdb";
  fs::create_directories(dir / "lmdb");
  MDB_env* env = nullptr;
  check(mdb_env_create(&env) == 0, "lmdb env");
  mdb_env_set_mapsize(env, std::max<std::size_t>(1ull << 30, recs.size() * 400));
  check(mdb_env_open(env, (dir / "lmdb").c_str(), MDB_NOSYNC, 0644) == 0, "lmdb open");
  MDB_dbi dbi = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < recs.size();) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env, nullptr, 0, &txn) == 0, "lmdb txn");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0, "lmdb dbi");
    for (std::size_t end = std::min(recs.size(), i + 100000); i < end; ++i) {
      Record r = recs[i];
      MDB_val k{kKey, r.key};
      MDB_val v{kValue, r.value};
      check(mdb_put(txn, dbi, &k, &v, 0) == 0, "lmdb put");
    }
    check(mdb_txn_commit(txn) == 0, "lmdb commit");
  }
  mdb_env_sync(env, 1);
  f.insert_per_s = static_cast<double>(recs.size()) / seconds_since(t0);
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  t0 = std::chrono::steady_clock::now();
  for (std::size_t i : probes) {
    Record r = recs[i];
    MDB_val k{kKey, r.key}, v{};
    check(mdb_get(txn, dbi, &k, &v) == 0, "lmdb get");
  }
  f.lookup_per_s = static_cast<double>(probes.size()) / seconds_since(t0);
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(txn, dbi, &cur);
  MDB_val k{}, v{};
  std::uint64_t n = 0, sum = 0;
  t0 = std::chrono::steady_clock::now();
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    sum += static_cast<const unsigned char*>(v.mv_data)[0];
    ++n;
  }
  check(n == recs.size() && sum > 0, "lmdb scan");
  f.scan_per_s = static_cast<double>(n) / seconds_since(t0);
  MDB_stat st{};
  mdb_stat(txn, dbi, &st);
  const double used_pages =
      static_cast<double>(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * st.ms_psize;
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  f.bytes_per_record = used_pages / static_cast<double>(recs.size());
  return f;
}

Figures rocks(const fs::path& dir, const Records& recs, const std::vector<std::size_t>& probes) {
  Figures f;
  f.store = "rocksdb";
  rocksdb::Options o;
  o.create_if_missing = true;
  o.compression = rocksdb::kNoCompression;  // digests do not compress
  rocksdb::DB* raw = nullptr;
  check(rocksdb::DB::Open(o, (dir / "rocksdb").string(), &raw).ok(), "rocksdb open");
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions w;
  w.disableWAL = false;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < recs.size();) {
    rocksdb::WriteBatch batch;
    for (std::size_t end = std::min(recs.size(), i + 100000); i < end; ++i) {
      const Record r = recs[i];
      batch.Put(rocksdb::Slice(reinterpret_cast<const char*>(r.key), kKey),
                rocksdb::Slice(reinterpret_cast<const char*>(r.value), kValue));
    }
    check(db->Write(w, &batch).ok(), "rocksdb write");
  }
  db->Flush(rocksdb::FlushOptions());
  db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
  f.insert_per_s = static_cast<double>(recs.size()) / seconds_since(t0);
  std::string v;
  t0 = std::chrono::steady_clock::now();
  for (std::size_t i : probes) {
    const Record r = recs[i];
    check(
        db->Get(rocksdb::ReadOptions(), rocksdb::Slice(reinterpret_cast<const char*>(r.key), kKey), &v).ok(),
        "rocksdb get");
  }
  f.lookup_per_s = static_cast<double>(probes.size()) / seconds_since(t0);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  std::uint64_t n = 0, sum = 0;
  t0 = std::chrono::steady_clock::now();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    sum += static_cast<unsigned char>(it->value()[0]);
    ++n;
  }
  check(n == recs.size() && sum > 0, "rocksdb scan");
  f.scan_per_s = static_cast<double>(n) / seconds_since(t0);
  it.reset();
  db.reset();
  std::uint64_t sst = 0;
  for (const auto& e : fs::directory_iterator(dir / "rocksdb"))
    if (e.path().extension() == ".sst") sst += e.file_size();
  f.bytes_per_record = static_cast<double>(sst) / static_cast<double>(recs.size());
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t entries = 2'000'000;
  fs::path base = "/var/tmp";
  std::string stores = "rocksdb,lmdb,sqlite";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--entries") == 0) entries = static_cast<std::size_t>(std::atoll(argv[i + 1]));
    if (std::strcmp(argv[i], "--dir") == 0) base = argv[i + 1];
    if (std::strcmp(argv[i], "--stores") == 0) stores = argv[i + 1];
  }
  const fs::path dir = base / ("dijk-catalog-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::mt19937_64 rng(17);
  const Records recs(entries);
  std::vector<std::size_t> probes(std::min<std::size_t>(entries, 1'000'000));
  for (auto& p : probes) p = rng() % entries;
  std::printf("%zu records of %zu + %zu bytes (device+inode -> size, mtime, ctime, MD5, SHA-1, PDQ), in %s\n",
              entries, kKey, kValue, dir.c_str());
  try {
    const Figures ref = flat_file(dir, recs);
    std::printf(
        "flat     write %9.0f/s                        full scan %11.0f records/s (the reference)  "
        "        %6.1f bytes a record\n",
        ref.insert_per_s, ref.scan_per_s, ref.bytes_per_record);
    std::fflush(stdout);
    for (std::size_t from = 0; from <= stores.size();) {
      const std::size_t comma = std::min(stores.find(',', from), stores.size());
      const std::string name = stores.substr(from, comma - from);
      from = comma + 1;
      if (name == "sqlite") {
        print(sqlite(dir, recs, probes), ref);
        fs::remove(dir / "catalog.sqlite");
      } else if (name == "lmdb") {
        print(lmdb(dir, recs, probes), ref);
        fs::remove_all(dir / "lmdb");
      } else if (name == "rocksdb") {
        print(rocks(dir, recs, probes), ref);
        fs::remove_all(dir / "rocksdb");
      } else if (!name.empty()) {
        throw std::runtime_error("unknown store " + name + " (sqlite, lmdb, rocksdb)");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "catalog_store_bench: %s\n", e.what());
    fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  std::printf(
      "(wall time, page cache warm; a retro-hunt reads every record, a re-scan looks each file up)\n");
  return 0;
}
