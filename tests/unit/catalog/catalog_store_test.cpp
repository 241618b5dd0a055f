// The catalog on RocksDB: records and metadata survive a reopen, a second writer is refused by name,
// a read-only opener sees what was written, and verify counts what is there.
#include "dataplane/catalog/catalog_store.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace dijk::catalog {
namespace {

CatalogRecord record_of(std::uint64_t n, bool image) {
  CatalogRecord r;
  r.stat = {n * 10, static_cast<std::int64_t>(n) * 1000, static_cast<std::int64_t>(n) * 1001};
  r.digests = {n, n + 1, n + 2};
  if (image) {
    PdqHash h;
    h.bytes[0] = static_cast<std::uint8_t>(n);
    r.pdq = h;
    r.pdq_quality = 90;
  }
  return r;
}

TEST(CatalogStore, RecordsAndMetadataSurviveAReopen) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  {
    CatalogStore store(path, CatalogStore::Mode::read_write);
    CatalogStore::Writer w(store, 3);  // a batch smaller than the records: several writes
    for (std::uint64_t i = 1; i <= 10; ++i) w.put({7, i}, record_of(i, i % 2 == 0));
    w.erase({7, 5});
    w.flush();
    store.add_roots({"/srv/a", "/srv/b"});
    store.add_roots({"/srv/a", "/srv/c\nd"});  // a repeat and a name that cannot be a line: neither kept
    store.set_hunted({4, 0xabcdef, 99});
  }
  CatalogStore store(path, CatalogStore::Mode::read_write);
  EXPECT_EQ(store.roots(), (std::vector<std::string>{"/srv/a", "/srv/b"}));
  const auto mark = store.hunted();
  ASSERT_TRUE(mark);
  EXPECT_EQ(mark->set_version, 4u);
  EXPECT_EQ(mark->set_checksum, 0xabcdefu);
  EXPECT_EQ(store.get({7, 4}), record_of(4, true));
  EXPECT_FALSE(store.get({7, 5}));
  EXPECT_FALSE(store.get({8, 4}));
  std::vector<std::uint64_t> inodes;
  store.for_each([&](const CatalogKey& k, const CatalogRecord& r) {
    inodes.push_back(k.inode);
    EXPECT_EQ(r, record_of(k.inode, k.inode % 2 == 0));
  });
  EXPECT_EQ(inodes, (std::vector<std::uint64_t>{1, 2, 3, 4, 6, 7, 8, 9, 10}));
  const VerifyReport v = store.verify();
  EXPECT_TRUE(v.checksums_ok) << v.checksum_error;
  EXPECT_EQ(v.records, 9u);
  EXPECT_EQ(v.with_pdq, 5u);  // the even inodes, 5 erased
  EXPECT_EQ(v.bad_records, 0u);
  EXPECT_EQ(v.file_bytes, (1 + 2 + 3 + 4 + 6 + 7 + 8 + 9 + 10) * 10u);
}

TEST(CatalogStore, ASecondWriterIsRefusedAndAReaderSeesTheRecords) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  CatalogStore store(path, CatalogStore::Mode::read_write);
  {
    CatalogStore::Writer w(store);
    w.put({1, 1}, record_of(1, false));
  }
  try {
    CatalogStore second(path, CatalogStore::Mode::read_write);
    FAIL() << "a second writer opened the catalog";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  CatalogStore reader(path, CatalogStore::Mode::read_only);
  EXPECT_EQ(reader.get({1, 1}), record_of(1, false));
  EXPECT_THROW(CatalogStore::Writer w(reader), CatalogError);
}

TEST(CatalogStore, ReadOnlyOpenOfNothingSaysSo) {
  test::TempDir dir;
  try {
    CatalogStore store(dir.file("none"), CatalogStore::Mode::read_only);
    FAIL();
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("no catalog in"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dijk::catalog
