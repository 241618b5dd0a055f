#pragma once
// What flows between the walker, the readers and the matcher of a file scan.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "core/hit_event.h"
#include "dataplane/catalog/catalog_record.h"
#include "dataplane/filescan/path_filter.h"
#include "hashcore/digest/multibuffer/lane_isa.h"
#include "hashcore/pdq/pdq_hash.h"

namespace dijk {

namespace catalog {
class CatalogStore;
}

struct ScanOptions {
  unsigned threads = 0;           // 0: one per core
  unsigned files_in_flight = 16;  // per thread, io_uring only
  std::uint32_t chunk_bytes = 256 * 1024;
  bool force_pread = false;  // skip io_uring even where it works
  // MD5 and SHA-1 of the files in flight in vector lanes (io_uring reader only). Unset: as
  // DIJK_DIGEST_LANES says, else the widest the CPU has.
  std::optional<digest_lanes::LaneIsa> digest_lanes;
  bool follow_symlinks = true;       // to files and directories (directory loops are detected)
  std::uint64_t max_file_bytes = 0;  // 0: no limit; larger files are skipped and counted
  // Images up to this size are kept in memory while read, for PDQ, when the set has PDQ hashes (larger
  // ones get their digests checked but no PDQ, and are counted). Set by the scanner, not the user.
  std::uint64_t pdq_max_image_bytes = 64ull << 20;
  bool pdq = false;
  int pdq_radius = kPdqDefaultRadius;  // the largest PDQ distance that matches ([hashing] pdq_max_distance)
  scan::PathFilter filter;             // --include / --exclude
  // Catching up after a restart: files whose mtime and ctime are both older are left out (counted as
  // excluded). 0: every file.
  std::int64_t changed_since_ns = 0;
  // The fingerprint catalog (dataplane/catalog), if any. Every file read is recorded in it with all three
  // digests and, for an image, its PDQ hash, whatever the set holds, so that a later set version can be
  // hunted for. A file whose size, mtime and ctime match its record is not read (counted as unchanged)
  // unless reread_unchanged is set: what it could match was matched when it was read, and what later
  // set versions added is the retro-hunt's (docs/catalog.md).
  catalog::CatalogStore* catalog = nullptr;
  bool reread_unchanged = false;
  HitSource hit_source = HitSource::file;  // retrohunt when a retro-hunt reads its candidates again
};

// Why a path was not hashed. Each has a counter; each such path is named on stderr.
enum class ScanProblem : std::uint8_t {
  unreadable,    // open/read refused (permissions, I/O error)
  vanished,      // gone between listing and opening, or a dangling symlink
  symlink_loop,  // ELOOP, or a directory reached again through a link
  special_file,  // fifo, socket, device: never opened
  changed,       // shrank while being read: the digest would describe no real state of the file
  too_large,     // over max_file_bytes
  count_
};
inline constexpr std::size_t kScanProblemCount = static_cast<std::size_t>(ScanProblem::count_);
const char* scan_problem_name(ScanProblem p);  // for people: "changed while read"
const char* scan_problem_key(ScanProblem p);   // for JSON keys and values: "changed_while_read"
bool scan_problem_is_error(ScanProblem p);

// Counters of one worker thread; written by that thread only, read (relaxed) for the progress line.
struct ScanCounters {
  std::atomic<std::uint64_t> files{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> hits{0};
  std::atomic<std::uint64_t> files_with_hits{0};
  std::atomic<std::uint64_t> allow_listed{0};
  std::atomic<std::uint64_t> pdq_images{0};         // images hashed with PDQ
  std::atomic<std::uint64_t> pdq_undecodable{0};    // images that did not decode (corrupt, truncated, bomb)
  std::atomic<std::uint64_t> pdq_low_quality{0};    // hashed, but too flat to match (quality < 50)
  std::atomic<std::uint64_t> pdq_skipped_large{0};  // larger than pdq_max_image_bytes
  std::atomic<std::uint64_t> problems[kScanProblemCount]{};
  // The walker's: files handed to the readers so far and their bytes (for the progress line's ETA), and
  // paths left out by --include / --exclude.
  std::atomic<std::uint64_t> listed_files{0};
  std::atomic<std::uint64_t> listed_bytes{0};
  std::atomic<std::uint64_t> excluded{0};
  std::atomic<std::uint64_t> unchanged{0};   // the walker's: left unread, as the catalog knows them
  std::atomic<std::uint64_t> catalogued{0};  // records written to the catalog

  void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

struct FileTask {
  std::string path;
  std::uint64_t size = 0;        // from the walker's stat
  std::optional<FileStat> stat;  // owner and mtime, from the same stat (absent for tasks made by hand)
  // The catalog's key and stat stamp, from the same stat (inode 0 for tasks made by hand: not catalogued).
  catalog::CatalogKey key;
  catalog::StatStamp stamp;
};

}  // namespace dijk
