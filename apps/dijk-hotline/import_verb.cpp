// `dijk-hotline import`: hash lists in the formats hotlines exchange -> one set file.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>

#include "apps/dijk-hotline/csv_columns.h"
#include "apps/dijk-hotline/verbs.h"
#include "hashcore/lists/hash_list_parser.h"
#include "hashcore/pdq_index/pdq_list_import.h"
#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/set/set_builder.h"

namespace dijk::hotline {
namespace {

// The bytes of a list file, mapped read-only for the duration of parsing.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw std::runtime_error(path + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw std::runtime_error(path + ": cannot map: " + std::strerror(errno));
      }
      data_ = static_cast<const std::uint8_t*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// A list read from standard input (`-`): pipes cannot be mapped, so it is read whole.
std::vector<std::uint8_t> read_stdin() {
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("stdin: ") + std::strerror(errno));
    if (n == 0) return out;
    out.insert(out.end(), buf, buf + n);
  }
}

ListFormat parse_format(const std::string& name) {
  for (ListFormat f : {ListFormat::plain, ListFormat::csv, ListFormat::clamav_hdb, ListFormat::clamav_hsb,
                       ListFormat::pdq_text}) {
    if (list_format_name(f) == name) return f;
  }
  throw cli::UsageError("unknown --format '" + name + "' (plain, csv, hdb, hsb, pdq)");
}

// Prints the first problems in full and counts the rest, so a broken list of millions of lines stays
// readable.
class ErrorPrinter {
 public:
  void print(const std::string& file, std::uint64_t line, const std::string& reason) {
    if (++count_ <= kShown) std::cerr << file << ":" << line << ": " << reason << "\n";
  }
  void finish() const {
    if (count_ > kShown) std::cerr << "... and " << (count_ - kShown) << " more malformed lines\n";
  }
  std::uint64_t count() const { return count_; }

 private:
  static constexpr std::uint64_t kShown = 50;
  std::uint64_t count_ = 0;
};

void copy_base_set(const std::string& path, SetBuilder& builder, PdqIndexBuilder& pdq) {
  const auto base = HashSet::open(path, SetVerification::full);
  std::vector<std::uint16_t> remap;
  for (const ListInfo& l : base->lists()) remap.push_back(builder.add_list(l.name, l.category));
  for (Algorithm a : kAllAlgorithms) {
    Digest d;
    d.algorithm = a;
    base->exact(a).for_each([&](std::span<const std::uint8_t> bytes, std::uint16_t list) {
      std::memcpy(d.bytes.data(), bytes.data(), bytes.size());
      builder.add(d, list < remap.size() ? remap[list] : 0);
    });
    base->allow(a).for_each([&](std::span<const std::uint8_t> bytes, std::uint16_t) {
      std::memcpy(d.bytes.data(), bytes.data(), bytes.size());
      builder.add_allow(d);
    });
  }
  std::string error;
  const auto index = pdq_index_of(*base, &error);
  if (!index) throw std::runtime_error(path + ": " + error);
  for (std::uint32_t id = 0; id < index->size(); ++id) {
    const std::uint16_t l = index->list_index(id);
    pdq.add(index->hash(id), l < remap.size() ? remap[l] : 0, index->quality(id));
  }
}

int run_import(const cli::ParsedArgs& args) {
  const auto name = args.value("--name");
  const auto out = args.value("--out");
  if (!name || name->empty()) throw cli::UsageError("--name LIST is required");
  if (!out) throw cli::UsageError("--out SET is required");
  const auto allow_files = args.values("--allow");
  if (args.positional().empty() && allow_files.empty()) throw cli::UsageError("no list files given");
  auto forced = args.value("--format");
  // A column mapping makes every list CSV, unless --format says otherwise.
  std::optional<CsvColumns> columns;
  if (auto spec = args.value("--csv-columns")) columns = parse_csv_columns(*spec);
  const bool no_header = args.flag("--csv-no-header");
  if (no_header && !columns)
    throw cli::UsageError("--csv-no-header needs --csv-columns (which column is which)");
  if (columns && !forced) forced = "csv";
  const auto stdin_uses = std::count(args.positional().begin(), args.positional().end(), "-") +
                          std::count(allow_files.begin(), allow_files.end(), "-");
  if (stdin_uses > 1) throw cli::UsageError("`-` (standard input) can be given once only");

  SetBuilder builder;
  PdqIndexBuilder pdq;
  if (auto base = args.value("--base")) copy_base_set(*base, builder, pdq);
  const std::uint16_t list = builder.add_list(*name, args.value("--category").value_or(""));

  ErrorPrinter errors;
  ListParseStats total;
  std::uint64_t pdq_low_quality = 0;
  auto parse_file = [&](const std::string& arg, bool allow) {
    const bool from_stdin = arg == "-";
    const std::string path = from_stdin ? "stdin" : arg;
    std::optional<MappedFile> file;
    std::vector<std::uint8_t> piped;
    if (from_stdin) {
      piped = read_stdin();
    } else {
      file.emplace(path);
    }
    std::span<const std::uint8_t> bytes = from_stdin ? std::span<const std::uint8_t>(piped) : file->bytes();
    const ListFormat format = forced ? parse_format(*forced) : list_format_for_path(path);
    MappedCsv mapped;
    if (columns && format == ListFormat::csv) {
      mapped =
          map_csv_columns({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, *columns, no_header);
      bytes = {reinterpret_cast<const std::uint8_t*>(mapped.text.data()), mapped.text.size()};
    }
    ListParseCallbacks cb;
    cb.on_hash = [&](const Digest& d, std::uint64_t) { allow ? builder.add_allow(d) : builder.add(d, list); };
    cb.on_error = [&](std::uint64_t line, const std::string& reason) {
      errors.print(path, line - std::min(line, mapped.line_shift), reason);
    };
    // PDQ hashes go to the set's PDQ index; below quality 50 a hash can never match, so it is left out.
    PdqListImport import_pdq(pdq, list);
    cb.on_pdq = [&](std::string_view hex, std::optional<int> quality, std::uint64_t) -> std::string {
      if (allow) return "PDQ hashes cannot be allow-listed";
      return import_pdq(hex, quality);
    };
    ListParseStats s = parse_hash_list(bytes, format, cb);
    s.lines -= std::min(s.lines, mapped.line_shift);
    std::cout << path << ": " << list_format_name(format) << ", " << s.lines << " lines, " << s.hashes
              << (allow ? " allow-list hashes" : " hashes");
    if (s.pdq_hashes > 0) std::cout << ", " << s.pdq_hashes << " PDQ hashes";
    std::cout << ", " << s.malformed << " malformed\n";
    pdq_low_quality += import_pdq.low_quality();
    total.hashes += s.hashes;
    total.malformed += s.malformed;
  };
  for (const auto& path : args.positional()) parse_file(path, false);
  for (const auto& path : allow_files) parse_file(path, true);
  errors.finish();

  if (total.malformed > 0 && !args.flag("--keep-going")) {
    std::cerr
        << "dijk-hotline import: " << total.malformed
        << " malformed lines; no set written (fix the lists, or pass --keep-going to import the rest)\n";
    return cli::kExitError;
  }
  std::uint64_t version = 0;
  if (auto v = args.value("--set-version")) version = std::stoull(*v);
  const std::size_t pdq_added = pdq.size();
  if (pdq_added > 0) add_pdq_section(builder, pdq);
  const SetBuildStats stats = builder.write(*out, version);
  const auto written = HashSet::open(*out, SetVerification::full);
  std::cout << *out << ": set version " << written->version() << ", " << written->lists().size() << " lists";
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    if (stats.exact[i] || stats.allow[i]) {
      std::cout << ", " << algorithm_name(a) << " " << stats.exact[i] << " (+" << stats.allow[i]
                << " allowed)";
    }
  }
  if (const auto index = pdq_index_of(*written); index && !index->empty()) {
    std::cout << ", pdq " << index->size() << " (" << pdq_added - index->size() << " duplicates folded";
    if (pdq_low_quality > 0) std::cout << ", " << pdq_low_quality << " below quality 50 left out";
    std::cout << ")";
  }
  std::cout << ", " << stats.duplicates << " duplicates folded, " << stats.in_several_lists
            << " kept under their first list\n";
  return total.malformed > 0 ? cli::kExitFound : cli::kExitOk;
}

}  // namespace

cli::Verb import_verb() {
  return {
      "import",
      "build a set file from hash lists",
      "import --name LIST [--category C] [--allow FILE]... [--base SET] [--csv-columns MAP "
      "[--csv-no-header]]\n"
      "       --out SET FILE...",
      "Reads plain text (one hash a line; md5sum/sha1sum/sha256sum output accepted; algorithm by length),\n"
      "CSV with a header naming md5/sha1/sha256 (and pdq, quality) columns, ClamAV .hdb/.hsb signatures,\n"
      "and PDQ lists (.pdq: 64 hex digits a line). PDQ hashes of quality < 50 are left out (they never "
      "match).\n"
      "The format follows the file name (.csv, .hdb, .hsb, .pdq; plain otherwise) unless --format says.\n"
      "Every malformed line is printed as file:line: reason. With any malformed line no set is written,\n"
      "unless --keep-going (exit status 1 then). The set is written beside --out and renamed into place.\n"
      "FILE `-` reads standard input (a pipe: `zcat l.csv.gz | dijk-hotline import ... -`; as `stdin` in\n"
      "messages). --csv-columns md5=1,sha256=3 says which CSV column holds what (md5, sha1, sha256, pdq,\n"
      "quality; counted from 1 as `cut -f`), replacing the header's names; it makes every list CSV unless\n"
      "--format says otherwise. --csv-no-header: the first line is a row too.",
      {{"--name", true, "name of the list these hashes come from (required)", "LIST"},
       {"--category", true, "category of the list (e.g. A1, B)", "C"},
       {"--allow", true, "a list of hashes that are never reported (repeatable)", "FILE"},
       {"--base", true, "start from this set's lists and hashes (to combine lists)", "SET"},
       {"--out", true, "the set file to write (required)", "SET"},
       {"--format", true, "force the list format: plain, csv, hdb, hsb, pdq", "F"},
       {"--set-version", true, "version to stamp (default: one more than the existing --out)", "N"},
       {"--keep-going", false, "write the set even if some lines are malformed", ""},
       {"--csv-columns", true, "which CSV column holds what: md5=1,sha256=3 (from 1)", "MAP"},
       {"--csv-no-header", false, "the CSV has no header line (needs --csv-columns)", ""}},
      run_import,
  };
}

}  // namespace dijk::hotline
