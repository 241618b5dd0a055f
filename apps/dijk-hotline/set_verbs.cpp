// `dijk-hotline set info | list | find | diff | export`: looking inside set files, as sigtool does for
// ClamAV databases: what a set holds, whether a hash is in it, what changed between two versions, and the
// set back out in each format `import` reads.
#include <fstream>
#include <iostream>
#include <map>

#include "apps/dijk-hotline/verbs.h"
#include "config/cli/time_arg.h"
#include "control/feed/feed_history.h"
#include "control/feed/ledger.h"
#include "control/feed/set_diff.h"
#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/util/hex.h"
#include "hashcore/util/safe_text.h"

namespace dijk::hotline {
namespace {

// One set file, opened and fully verified, with its contents read out.
struct LoadedSet {
  explicit LoadedSet(const std::string& path)
      : set(HashSet::open(path, SetVerification::full)), contents(feed::read_set(*set)) {
    std::string error;
    auto index = pdq_index_of(*set, &error);
    if (!index) throw std::runtime_error(path + ": " + error);
    pdq = std::move(*index);
  }
  std::shared_ptr<const HashSet> set;  // pdq points into its mapping
  feed::SetContents contents;
  PdqIndex pdq;
};

std::string set_path(const cli::ParsedArgs& args, std::size_t i, const char* what) {
  if (args.positional().size() <= i) throw cli::UsageError(std::string(what) + " is required");
  return args.positional()[i];
}

std::string list_label(const ListInfo& l) {
  std::string s = printable_text(l.name);
  if (!l.category.empty()) s += " (" + printable_text(l.category) + ")";
  return s;
}

std::string hex_of(const feed::Entry& e, Algorithm a) {
  return to_hex({e.bytes.data(), digest_size(a)});
}

// ---- info

int run_info(const cli::ParsedArgs& args) {
  const LoadedSet s(set_path(args, 0, "SET"));
  const auto& lists = s.contents.lists;
  // counts[list][algorithm], PDQ in the last column.
  std::vector<std::array<std::uint64_t, kAlgorithmCount + 1>> counts(lists.size());
  std::array<std::uint64_t, kAlgorithmCount + 1> total{};
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    for (const feed::Entry& e : s.contents.exact[i]) ++counts.at(e.list)[i];
  }
  for (std::uint32_t id = 0; id < s.pdq.size(); ++id) {
    if (s.pdq.list_index(id) < counts.size()) ++counts[s.pdq.list_index(id)][kAlgorithmCount];
  }
  std::cout << printable_text(s.set->path()) << ": set version " << s.set->version() << ", created "
            << cli::format_iso_utc(s.set->created_unix()) << ", " << s.set->file_size() << " bytes, "
            << lists.size() << " lists\n";
  const auto print_counts = [&](const std::array<std::uint64_t, kAlgorithmCount + 1>& c) {
    std::uint64_t sum = 0;
    for (auto n : c) sum += n;
    std::cout << sum << " hashes:";
    for (Algorithm a : kAllAlgorithms)
      std::cout << " " << algorithm_name(a) << " " << c[static_cast<std::size_t>(a)];
    std::cout << " pdq " << c[kAlgorithmCount] << "\n";
  };
  // By category too: several lists often share one (A1, B...).
  std::map<std::string, std::array<std::uint64_t, kAlgorithmCount + 1>> by_category;
  for (std::size_t l = 0; l < lists.size(); ++l) {
    std::cout << "  list " << list_label(lists[l]) << ": ";
    print_counts(counts[l]);
    auto& cat = by_category[lists[l].category];
    for (std::size_t i = 0; i <= kAlgorithmCount; ++i) {
      cat[i] += counts[l][i];
      total[i] += counts[l][i];
    }
  }
  for (const auto& [category, c] : by_category) {
    std::cout << "  category " << (category.empty() ? "(none)" : printable_text(category)) << ": ";
    print_counts(c);
  }
  std::cout << "  allow-list:";
  for (Algorithm a : kAllAlgorithms) {
    const auto n = s.contents.allow[static_cast<std::size_t>(a)].size();
    std::cout << " " << algorithm_name(a) << " " << n;
  }
  std::cout << "\n  total: ";
  print_counts(total);
  return cli::kExitOk;
}

// ---- list

std::optional<Algorithm> algorithm_option(const cli::ParsedArgs& args, bool* pdq) {
  *pdq = true;
  const auto v = args.value("--algorithm");
  if (!v) return std::nullopt;
  if (*v == "pdq") {
    return std::nullopt;
  }
  *pdq = false;
  const auto a = algorithm_from_name(*v);
  if (!a) throw cli::UsageError("--algorithm takes md5, sha1, sha256 or pdq");
  return a;
}

int run_list(const cli::ParsedArgs& args) {
  const LoadedSet s(set_path(args, 0, "SET"));
  bool with_pdq = true;
  const auto only = algorithm_option(args, &with_pdq);
  const bool exact = !args.value("--algorithm") || only.has_value();
  const auto list_filter = args.value("--list");
  const auto wanted = [&](const ListInfo& l) { return !list_filter || l.name == *list_filter; };
  std::cout << "algorithm\thash\tlist\tcategory\n";
  for (Algorithm a : kAllAlgorithms) {
    if (!exact || (only && *only != a)) continue;
    const auto i = static_cast<std::size_t>(a);
    for (const feed::Entry& e : s.contents.exact[i]) {
      const ListInfo& l = s.contents.lists.at(e.list);
      if (!wanted(l)) continue;
      std::cout << algorithm_name(a) << "\t" << hex_of(e, a) << "\t" << printable_text(l.name) << "\t"
                << printable_text(l.category) << "\n";
    }
    if (args.flag("--allow") && !list_filter) {
      for (const feed::Entry& e : s.contents.allow[i])
        std::cout << algorithm_name(a) << "\t" << hex_of(e, a) << "\t(allow)\t\n";
    }
  }
  if (with_pdq) {
    for (std::uint32_t id = 0; id < s.pdq.size(); ++id) {
      const ListInfo& l = s.contents.lists.at(s.pdq.list_index(id));
      if (!wanted(l)) continue;
      std::cout << "pdq\t" << s.pdq.hash(id).to_hex() << "\t" << printable_text(l.name) << "\t"
                << printable_text(l.category) << "\n";
    }
  }
  return cli::kExitOk;
}

// ---- find

int run_find(const cli::ParsedArgs& args) {
  const LoadedSet s(set_path(args, 0, "SET"));
  if (args.positional().size() < 2) throw cli::UsageError("no hashes given");
  bool all_found = true;
  for (std::size_t k = 1; k < args.positional().size(); ++k) {
    const std::string& text = args.positional()[k];
    const auto d = feed::parse_digest_label(text);
    if (!d) throw cli::UsageError("`" + printable_text(text) + "` is not an MD5, SHA-1 or SHA-256 hex hash");
    const std::span<const std::uint8_t> bytes{d->bytes.data(), d->size()};
    const std::string label = feed::digest_label(*d);
    const auto list = s.set->exact(d->algorithm).find(bytes);
    const bool allowed = s.set->allow(d->algorithm).find(bytes) != ExactTable::kNotFound;
    if (list != ExactTable::kNotFound) {
      std::cout << label << ": in list " << list_label(s.set->list(static_cast<std::uint16_t>(list)));
      std::cout << (allowed ? ", and allow-listed (never reported)" : "");
      if (const auto feed_dir = args.value("--feed")) {
        const feed::HeldSince since = feed::held_since(*feed_dir, *d);
        if (!since.published) {
          std::cout << "; not in the published version " << since.current;
        } else {
          std::cout << "; published since version " << (since.exact ? "" : "<= ") << since.version;
        }
      }
      std::cout << "\n";
    } else if (allowed) {
      std::cout << label << ": allow-listed (never reported)\n";
    } else {
      std::cout << label << ": not in the set\n";
      all_found = false;
    }
  }
  std::cout << printable_text(s.set->path()) << ": set version " << s.set->version() << "\n";
  return all_found ? cli::kExitOk : cli::kExitFound;
}

// ---- diff

int run_diff(const cli::ParsedArgs& args) {
  const LoadedSet before(set_path(args, 0, "OLD"));
  const LoadedSet after(set_path(args, 1, "NEW"));
  const bool hashes = args.flag("--hashes");
  const feed::SetDiff d = feed::diff_sets(before.contents, after.contents, hashes);
  std::cout << "set version " << before.set->version() << " -> " << after.set->version() << ": +" << d.added()
            << " -" << d.removed() << "\n";
  for (const feed::ListChange& l : d.lists) {
    std::cout << "  list " << list_label({l.name, l.category}) << ": " << l.before << " -> " << l.after
              << ", +" << l.added << " -" << l.removed << "\n";
  }
  std::cout << "  allow-list: +" << d.allow_added << " -" << d.allow_removed << "\n";
  for (const feed::DiffEntry& e : d.entries) {
    std::cout << (e.added ? "+ " : "- ") << feed::digest_label(e.digest) << "\t" << printable_text(e.list)
              << "\n";
  }
  return d.empty() ? cli::kExitOk : cli::kExitFound;
}

// ---- export

// A ClamAV signature name: the list's name with anything but [A-Za-z0-9._-] made '_' (':' splits fields).
std::string signature_name(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "dijk" : out;
}

int run_export(const cli::ParsedArgs& args) {
  const LoadedSet s(set_path(args, 0, "SET"));
  const std::string format = args.value("--format").value_or("csv");
  if (format != "plain" && format != "csv" && format != "hdb" && format != "hsb" && format != "pdq") {
    throw cli::UsageError("unknown --format '" + format + "' (plain, csv, hdb, hsb, pdq)");
  }
  const bool allow = args.flag("--allow");
  const auto list_filter = args.value("--list");
  std::ofstream file;
  if (auto out = args.value("--out")) {
    file.open(*out, std::ios::binary | std::ios::trunc);
    if (!file) throw std::runtime_error(*out + ": cannot write");
  }
  std::ostream& os = file.is_open() ? file : std::cout;
  const auto carries = [&](Algorithm a) {
    if (format == "hdb") return a == Algorithm::md5;
    if (format == "hsb") return a != Algorithm::md5;
    return format != "pdq";
  };
  if (format == "csv") os << "md5,sha1,sha256,pdq,quality,list,category\n";
  std::uint64_t written = 0;
  std::uint64_t left_out = 0;
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    for (const feed::Entry& e : allow ? s.contents.allow[i] : s.contents.exact[i]) {
      const ListInfo& l = s.contents.lists.at(allow ? 0 : e.list);
      if (!allow && list_filter && l.name != *list_filter) continue;
      if (!carries(a)) {
        ++left_out;
        continue;
      }
      const std::string hex = hex_of(e, a);
      if (format == "plain") {
        os << hex << "\n";
      } else if (format == "csv") {
        os << (a == Algorithm::md5 ? hex : "") << "," << (a == Algorithm::sha1 ? hex : "") << ","
           << (a == Algorithm::sha256 ? hex : "") << ",,," << csv_field(allow ? "" : l.name) << ","
           << csv_field(allow ? "" : l.category) << "\n";
      } else {
        os << hex << ":*:" << signature_name(allow ? "allow" : l.name) << "\n";
      }
      ++written;
    }
  }
  for (std::uint32_t id = 0; !allow && id < s.pdq.size(); ++id) {
    const ListInfo& l = s.contents.lists.at(s.pdq.list_index(id));
    if (list_filter && l.name != *list_filter) continue;
    if (format == "pdq") {
      os << s.pdq.hash(id).to_hex() << "\n";
    } else if (format == "csv") {
      os << ",,," << s.pdq.hash(id).to_hex() << "," << static_cast<int>(s.pdq.quality(id)) << ","
         << csv_field(l.name) << "," << csv_field(l.category) << "\n";
    } else {
      ++left_out;
      continue;
    }
    ++written;
  }
  os.flush();
  if (!os) throw std::runtime_error("export: write failed");
  std::cerr << "exported " << written << " hashes as " << format;
  if (left_out > 0)
    std::cerr << "; " << left_out << " hashes left out (the format cannot carry their algorithm)";
  std::cerr << "\n";
  return cli::kExitOk;
}

}  // namespace

std::vector<cli::Verb> set_verbs() {
  const cli::OptionSpec list{"--list", true, "only this list", "NAME"};
  return {
      {"set info",
       "what a set file holds: counts per list, category and algorithm",
       "set info SET",
       "Prints the set's version, creation time (UTC) and size, then the hashes of each list and each\n"
       "category by algorithm (md5, sha1, sha256, pdq), the allow-list and the totals. The whole file is\n"
       "verified first.",
       {},
       run_info},
      {"set list",
       "every hash of a set file, one a line",
       "set list SET [--list NAME] [--algorithm A] [--allow]",
       "Prints a header, then one tab-separated line a hash: algorithm, hex, list, category. Names are\n"
       "escaped for the terminal. --allow adds the allow-list (list `(allow)`).",
       {list,
        {"--algorithm", true, "only md5, sha1, sha256 or pdq", "A"},
        {"--allow", false, "also list the allow-list", ""}},
       run_list},
      {"set find",
       "which list of a set file holds a hash",
       "set find SET [--feed DIR] HASH...",
       "For each hash (hex, or md5:HEX): the list and category holding it, whether it is allow-listed,\n"
       "or `not in the set` (exit 1 if any is not). With --feed, also since which published version the\n"
       "feed holds it, from the deltas the feed keeps (`<= V` when it is older than the oldest kept).",
       {{"--feed", true, "the feed directory, to tell since which version", "DIR"}},
       run_find},
      {"set diff",
       "what changed between two set files, per list",
       "set diff OLD NEW [--hashes]",
       "Prints added and removed per list (a hash that moved lists counts in both) and for the allow-list;\n"
       "--hashes also prints each changed hash (`+ md5:HEX<TAB>list`). Exit 1 when they differ.",
       {{"--hashes", false, "print each added and removed hash", ""}},
       run_diff},
      {"set export",
       "write a set file back out in an import format",
       "set export SET [--format plain|csv|hdb|hsb|pdq] [--list NAME] [--allow] [--out FILE]",
       "Writes the set's hashes in a format `import` reads (default csv: md5,sha1,sha256,pdq,quality,list,\n"
       "category, quoted as RFC 4180). plain: exact hashes one a line; hdb: MD5 and hsb: SHA-1/SHA-256 as\n"
       "ClamAV signatures `hash:*:list`; pdq: PDQ hashes. Hashes the format cannot carry are counted on\n"
       "stderr. --allow exports the allow-list instead. To stdout unless --out.",
       {{"--format", true, "plain, csv (default), hdb, hsb or pdq", "F"},
        list,
        {"--allow", false, "export the allow-list instead", ""},
        {"--out", true, "write here instead of stdout", "FILE"}},
       run_export},
  };
}

}  // namespace dijk::hotline
