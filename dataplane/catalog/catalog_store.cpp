#include "dataplane/catalog/catalog_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

namespace dijk::catalog {
namespace {

constexpr const char* kMetaFamily = "meta";
constexpr const char* kRootsKey = "roots";    // one absolute path a line
constexpr const char* kHuntedKey = "hunted";  // "version checksum finished_ns"
constexpr std::size_t kBadExamples = 5;

rocksdb::Slice slice(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const std::uint8_t> bytes(const rocksdb::Slice& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void check(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) throw CatalogError("catalog: " + what + ": " + s.ToString());
}

std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t c : b) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

rocksdb::Options catalog_options() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  // Digests and PDQ bits do not compress; keys share their prefixes in RocksDB's blocks anyway.
  o.compression = rocksdb::kNoCompression;
  // A catalog is a side store of an appliance: keep its own log files few and quiet.
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.keep_log_file_num = 2;
  o.max_manifest_file_size = 16 << 20;
  // Larger blocks than the 4 KiB default: fewer index entries a record, and a faster full pass.
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 << 10;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

}  // namespace

CatalogStore::CatalogStore(const std::string& dir, Mode mode)
    : dir_(dir), read_only_(mode == Mode::read_only) {
  const rocksdb::Options options = catalog_options();
  std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kMetaFamily, rocksdb::ColumnFamilyOptions(options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (read_only_) {
    if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT"))
      throw CatalogError("catalog: no catalog in " + dir);
    check(rocksdb::DB::OpenForReadOnly(options, dir, families, &handles, &raw), "cannot open " + dir);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    check(rocksdb::DB::Open(options, dir, families, &handles, &raw), "cannot open " + dir);
  }
  db_.reset(raw);
  records_ = handles.at(0);
  meta_ = handles.at(1);
}

CatalogStore::~CatalogStore() {
  if (db_) {
    if (records_ != nullptr) (void)db_->DestroyColumnFamilyHandle(records_);
    if (meta_ != nullptr) (void)db_->DestroyColumnFamilyHandle(meta_);
    (void)db_->Close();
  }
}

std::optional<CatalogRecord> CatalogStore::get(const CatalogKey& key) const {
  const auto k = encode_key(key);
  rocksdb::PinnableSlice value;
  const auto s = db_->Get(rocksdb::ReadOptions(), records_, slice(k), &value);
  if (s.IsNotFound()) return std::nullopt;
  check(s, "read");
  return decode_record(bytes(value));
}

std::vector<std::optional<StatStamp>> CatalogStore::stamps(std::span<const CatalogKey> keys) const {
  std::vector<std::optional<StatStamp>> out(keys.size());
  if (keys.empty()) return out;
  std::vector<std::array<std::uint8_t, kKeyBytes>> encoded(keys.size());
  std::vector<rocksdb::Slice> slices(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    encoded[i] = encode_key(keys[i]);
    slices[i] = slice(encoded[i]);
  }
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), records_, keys.size(), slices.data(), values.data(), statuses.data());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    check(statuses[i], "read");
    if (const auto r = decode_record(bytes(values[i]))) out[i] = r->stat;
  }
  return out;
}

namespace {

// One pass over everything: keep the cache for lookups. A bad record is skipped and its file read again
// by the next scan, so the blocks' checksums are left to `verify`, which checks them all.
rocksdb::ReadOptions pass_options() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  ro.verify_checksums = false;
  return ro;
}

}  // namespace

void CatalogStore::for_each(const RecordFn& fn,
                            const std::function<void(const CatalogKey&, const std::string&)>& on_bad) const {
  std::string why;
  for_each_raw([&](std::span<const std::uint8_t> k, std::span<const std::uint8_t> v) {
    const auto key = decode_key(k);
    const auto record = key ? decode_record(v, &why) : std::nullopt;
    if (key && record) {
      fn(*key, *record);
    } else if (on_bad) {
      on_bad(key.value_or(CatalogKey{}), key ? why : "key of " + std::to_string(k.size()) + " bytes");
    }
  });
}

void CatalogStore::for_each_raw(
    const std::function<void(std::span<const std::uint8_t>, std::span<const std::uint8_t>)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(pass_options(), records_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) fn(bytes(it->key()), bytes(it->value()));
  check(it->status(), "read");
}

CatalogStore::Writer::Writer(CatalogStore& store, std::size_t batch)
    : store_(store),
      batch_(std::make_unique<rocksdb::WriteBatch>()),
      limit_(std::max<std::size_t>(1, batch)) {
  if (store.read_only_) throw CatalogError("catalog: " + store.dir_ + " is open read-only");
}

CatalogStore::Writer::~Writer() {
  try {
    flush();
  } catch (const CatalogError&) {
    // Already lost: the files are read again on the next scan. Nothing to throw from a destructor.
  }
}

void CatalogStore::Writer::put(const CatalogKey& key, const CatalogRecord& record) {
  const auto k = encode_key(key);
  const auto v = encode_record(record);
  check(batch_->Put(store_.records_, slice(k), slice(v)), "batch");
  if (++pending_ >= limit_) flush();
}

void CatalogStore::Writer::erase(const CatalogKey& key) {
  const auto k = encode_key(key);
  check(batch_->Delete(store_.records_, slice(k)), "batch");
  if (++pending_ >= limit_) flush();
}

void CatalogStore::Writer::flush() {
  if (pending_ == 0) return;
  pending_ = 0;
  const auto s = store_.db_->Write(rocksdb::WriteOptions(), batch_.get());
  batch_->Clear();
  check(s, "write");
}

std::string CatalogStore::meta_get(const std::string& key) const {
  std::string v;
  const auto s = db_->Get(rocksdb::ReadOptions(), meta_, key, &v);
  if (s.IsNotFound()) return {};
  check(s, "read metadata");
  return v;
}

void CatalogStore::meta_put(const std::string& key, const std::string& value) {
  if (read_only_) throw CatalogError("catalog: " + dir_ + " is open read-only");
  rocksdb::WriteOptions wo;
  wo.sync = true;  // rare, and what a restart relies on
  check(db_->Put(wo, meta_, key, value), "write metadata");
}

std::vector<std::string> CatalogStore::roots() const {
  std::vector<std::string> out;
  std::istringstream in(meta_get(kRootsKey));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

void CatalogStore::add_roots(const std::vector<std::string>& roots) {
  std::vector<std::string> all = this->roots();
  const std::size_t before = all.size();
  for (const auto& r : roots) {
    // A path with a newline would split into two roots; such a tree is left out of the list (its files
    // are still catalogued, only a retro-hunt could not name them).
    if (r.find('\n') != std::string::npos || r.empty()) continue;
    if (std::find(all.begin(), all.end(), r) == all.end()) all.push_back(r);
  }
  if (all.size() == before) return;
  std::string text;
  for (const auto& r : all) text += r + "\n";
  meta_put(kRootsKey, text);
}

std::optional<HuntMark> CatalogStore::hunted() const {
  std::istringstream in(meta_get(kHuntedKey));
  HuntMark m;
  if (!(in >> m.set_version >> m.set_checksum >> m.finished_ns)) return std::nullopt;
  return m;
}

void CatalogStore::set_hunted(const HuntMark& m) {
  meta_put(kHuntedKey, std::to_string(m.set_version) + " " + std::to_string(m.set_checksum) + " " +
                           std::to_string(m.finished_ns));
}

CatalogStats CatalogStore::stats() const {
  CatalogStats s;
  std::uint64_t n = 0;
  if (db_->GetIntProperty(records_, "rocksdb.estimate-num-keys", &n)) s.records = n;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
    if (e.is_regular_file(ec)) s.disk_bytes += e.file_size(ec);
  s.roots = roots();
  s.hunted = hunted();
  return s;
}

VerifyReport CatalogStore::verify() const {
  VerifyReport r;
  const auto s = db_->VerifyChecksum();
  r.checksums_ok = s.ok();
  if (!s.ok()) r.checksum_error = s.ToString();
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_));
  std::string why;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = decode_key(bytes(it->key()));
    const auto record = key ? decode_record(bytes(it->value()), &why) : std::nullopt;
    if (!record) {
      ++r.bad_records;
      if (r.bad_examples.size() < kBadExamples)
        r.bad_examples.push_back(hex(bytes(it->key())) + ": " + (key ? why : "bad key length"));
      continue;
    }
    ++r.records;
    if (record->pdq) ++r.with_pdq;
    r.file_bytes += record->stat.size;
  }
  if (!it->status().ok()) {
    r.checksums_ok = false;
    r.checksum_error = it->status().ToString();
  }
  return r;
}

void CatalogStore::compact() {
  check(db_->Flush(rocksdb::FlushOptions(), records_), "flush");
  check(db_->CompactRange(rocksdb::CompactRangeOptions(), records_, nullptr, nullptr), "compact");
}

}  // namespace dijk::catalog
