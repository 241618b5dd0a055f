// `dijkctl scan`: check every file under the given paths against a set file, on every core.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "apps/dijkctl/scan_output.h"
#include "apps/dijkctl/verbs.h"
#include "dataplane/catalog/catalog_store.h"
#include "dataplane/events/json_text.h"
#include "dataplane/filescan/scanner.h"
#include "hashcore/util/safe_text.h"

namespace dijk::ctl {
namespace {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  return buf;
}

void print_summary(const ScanSummary& s, bool json, std::FILE* out, bool journalled) {
  const double gbps = s.seconds > 0 ? static_cast<double>(s.bytes) / s.seconds / 1e9 : 0;
  if (json) {
    JsonObject problems;
    for (std::size_t i = 0; i < kScanProblemCount; ++i)
      problems.add(scan_problem_key(static_cast<ScanProblem>(i)), s.problems[i]);
    JsonObject o;
    o.add("summary", "scan").add("files", s.files).add("bytes", s.bytes).add("seconds", s.seconds);
    o.add("gb_per_s", gbps).add("hits", s.hits).add("files_with_hits", s.files_with_hits);
    o.add("allow_listed", s.allow_listed).add("errors", s.errors()).add_raw("problems", problems.str());
    o.add("pdq_images", s.pdq_images).add("pdq_low_quality", s.pdq_low_quality);
    o.add("pdq_undecodable", s.pdq_undecodable).add("pdq_skipped_large", s.pdq_skipped_large);
    o.add("threads", std::uint64_t{s.threads}).add("reader", s.reader).add("excluded", s.excluded);
    o.add("journalled", journalled).add("unchanged", s.unchanged).add("catalogued", s.catalogued);
    std::fprintf(out, "%s\n", o.str().c_str());
    return;
  }
  std::fprintf(out, "\n----------- SCAN SUMMARY -----------\n");
  std::fprintf(out, "Files scanned:   %llu\n", static_cast<unsigned long long>(s.files));
  std::fprintf(out, "Data scanned:    %s in %.2f s (%.2f GB/s, %u threads, %s)\n",
               human_bytes(static_cast<double>(s.bytes)).c_str(), s.seconds, gbps, s.threads,
               s.reader.c_str());
  std::fprintf(out, "Hits:            %llu in %llu files\n", static_cast<unsigned long long>(s.hits),
               static_cast<unsigned long long>(s.files_with_hits));
  std::fprintf(out, "Allow-listed:    %llu\n", static_cast<unsigned long long>(s.allow_listed));
  if (s.excluded > 0)
    std::fprintf(out, "Excluded:        %llu\n", static_cast<unsigned long long>(s.excluded));
  if (journalled) std::fprintf(out, "Hits journalled for the reporter.\n");
  if (s.unchanged + s.catalogued > 0)
    std::fprintf(out, "Catalog:         %llu files recorded, %llu unchanged since it read them (not read)\n",
                 static_cast<unsigned long long>(s.catalogued), static_cast<unsigned long long>(s.unchanged));
  if (s.pdq_images + s.pdq_undecodable + s.pdq_skipped_large > 0) {
    std::fprintf(out, "PDQ images:      %llu (%llu too flat to match, %llu undecodable, %llu too large)\n",
                 static_cast<unsigned long long>(s.pdq_images),
                 static_cast<unsigned long long>(s.pdq_low_quality),
                 static_cast<unsigned long long>(s.pdq_undecodable),
                 static_cast<unsigned long long>(s.pdq_skipped_large));
  }
  std::fprintf(out, "Errors:          %llu\n", static_cast<unsigned long long>(s.errors()));
  for (std::size_t i = 0; i < kScanProblemCount; ++i) {
    if (s.problems[i] == 0) continue;
    std::string name = scan_problem_name(static_cast<ScanProblem>(i));
    name += ":";
    name.resize(17, ' ');
    std::fprintf(out, "  %s%llu\n", name.c_str(), static_cast<unsigned long long>(s.problems[i]));
  }
}

// The config, read only when a verb's options need it (no --set, --report, or --catalog): a scan with
// --set alone runs on any machine.
std::optional<Config> scan_config(const cli::ParsedArgs& args) {
  if (args.value("--set") && !args.flag("--report") && !args.flag("--catalog")) return std::nullopt;
  const std::string why = args.flag("--report")    ? "--report needs the config"
                          : args.flag("--catalog") ? "--catalog takes the catalog from the config"
                                                   : "no --set given, so the set comes from the config";
  return load_config_for(args, why);
}

// --catalog-dir DIR, or with --catalog the config's [scan] catalog; none without either.
std::unique_ptr<catalog::CatalogStore> open_scan_catalog(const cli::ParsedArgs& args,
                                                         const std::optional<Config>& config) {
  std::string dir = args.value("--catalog-dir").value_or("");
  if (dir.empty() && args.flag("--catalog")) {
    dir = config->scan.catalog;
    if (dir.empty()) throw std::runtime_error("--catalog: the config's [scan] catalog is empty (no catalog)");
  }
  if (dir.empty()) return nullptr;
  return std::make_unique<catalog::CatalogStore>(dir, catalog::CatalogStore::Mode::read_write);
}

std::string clock_text(double seconds) {
  const auto s = static_cast<unsigned long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
  }
  return buf;
}

// The TTY progress line: done so far and the rate; once the walk is over, the share of what it listed
// and the time left at the current rate.
std::string progress_line(const ScanSummary& s) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.bytes) / s.seconds : 0;
  std::string line = std::to_string(s.files) + " files, " + human_bytes(static_cast<double>(s.bytes)) + ", " +
                     human_bytes(rate) + "/s, " + std::to_string(s.hits) + " hits";
  if (!s.walk_done) return line + ", listing...";
  const std::uint64_t left = s.listed_bytes > s.bytes ? s.listed_bytes - s.bytes : 0;
  const double share =
      s.listed_bytes > 0 ? 100.0 * static_cast<double>(s.bytes) / static_cast<double>(s.listed_bytes) : 100.0;
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.0f%%", share);
  line += ", " + std::string(pct) + " of " + human_bytes(static_cast<double>(s.listed_bytes));
  if (rate > 0) line += ", ETA " + clock_text(static_cast<double>(left) / rate);
  return line;
}

int run_scan(const cli::ParsedArgs& args) {
  const bool report = args.flag("--report");
  const auto files_from = args.value("--files-from");
  if (args.positional().empty() && !files_from)
    throw cli::UsageError("no paths given (PATH... or --files-from)");
  const bool json = args.flag("--json");
  ScanOptions options;
  options.force_pread = args.flag("--no-uring");
  options.follow_symlinks = !args.flag("--no-follow");
  options.filter = scan::PathFilter(args.values("--include"), args.values("--exclude"));
  if (auto t = args.value("--threads")) options.threads = static_cast<unsigned>(std::stoul(*t));
  if (auto m = args.value("--max-size")) options.max_file_bytes = std::stoull(*m);
  if (auto f = args.value("--in-flight")) {
    options.files_in_flight = static_cast<unsigned>(std::stoul(*f));
    if (options.files_in_flight == 0 || options.files_in_flight > 1024)
      throw cli::UsageError("--in-flight must be 1..1024");
  }

  const std::optional<Config> config = scan_config(args);
  // --lanes, else the config's hashing.digest_lanes when it was read, else auto.
  if (auto l = args.value("--lanes")) {
    if (*l != "auto" && !digest_lanes::lane_isa_from_name(*l))
      throw cli::UsageError("--lanes must be auto, off, avx2 or avx512");
    options.digest_lanes = digest_lanes::lane_isa_for_setting(*l);
  } else if (config) {
    options.digest_lanes = digest_lanes::lane_isa_for_setting(config->hashing.digest_lanes);
  }
  // The config's PDQ radius when it was read (as the daemons match); the published 31 otherwise.
  if (config) options.pdq_radius = static_cast<int>(config->hashing.pdq_max_distance);
  const std::string set_path = args.value("--set").value_or(config ? config->paths.set : "");
  const auto set =
      HashSet::open(set_path, SetVerification::full, std::max(1u, std::thread::hardware_concurrency()));

  std::ifstream list_file;
  ScanRoots roots{args.positional(), nullptr};
  if (files_from) {
    if (*files_from == "-") {
      roots.list = &std::cin;
    } else {
      list_file.open(*files_from);
      if (!list_file) throw std::runtime_error("--files-from: cannot read " + *files_from);
      roots.list = &list_file;
    }
  }

  std::unique_ptr<journal::JournalWriter> journal;
  if (report)
    journal = open_report_journal(*config, args.value("--journal").value_or("scan"), "dijkctl scan --report");
  const std::unique_ptr<catalog::CatalogStore> catalog = open_scan_catalog(args, config);
  if (catalog) {
    options.catalog = catalog.get();
    options.reread_unchanged = args.flag("--reread");
    // Only whole trees: a retro-hunt looks for its candidates under them.
    std::vector<std::string> trees;
    for (const auto& p : args.positional()) {
      std::error_code ec;
      const auto abs = std::filesystem::absolute(p, ec).lexically_normal();
      if (!ec && std::filesystem::is_directory(abs, ec)) trees.push_back(abs.string());
    }
    catalog->add_roots(trees);
  }

  PrintingHitSink printer(stdout, json ? PrintingHitSink::Style::json : PrintingHitSink::Style::human);
  ScanHits hits(printer, journal.get());
  const bool tty = ::isatty(STDERR_FILENO) == 1 && !args.flag("--quiet");
  auto clear_progress = [tty] {
    if (tty) std::fprintf(stderr, "\r\033[K");
  };
  // Called from the worker threads: each record is one stdio call, which stdio keeps whole.
  Scanner scanner(options, set, hits, [&](const std::string& path, ScanProblem p, const std::string& detail) {
    if (json) {
      JsonObject o;
      o.add("problem", scan_problem_key(p)).add("path", path).add("detail", detail);
      o.add("error", scan_problem_is_error(p));
      std::fprintf(stdout, "%s\n", o.str().c_str());
      return;
    }
    clear_progress();
    std::fprintf(stderr, "%s: %s (%s)\n", printable_text(path).c_str(), scan_problem_name(p),
                 printable_text(detail).c_str());
  });
  ProgressFn progress;
  if (tty) {
    progress = [](const ScanSummary& s) { std::fprintf(stderr, "\r\033[K%s", progress_line(s).c_str()); };
  }
  const ScanSummary summary = scanner.run(roots, progress);
  clear_progress();

  const bool journal_failed = journal && !close_report_journal(*journal, hits, "dijkctl scan");
  if (!args.flag("--quiet")) print_summary(summary, json, json ? stdout : stderr, journal != nullptr);
  if (journal_failed) return cli::kExitError;
  // Hits matter more than errors to whoever checks the status: 1 whenever something matched.
  if (summary.hits > 0) return cli::kExitFound;
  return summary.errors() > 0 ? cli::kExitError : cli::kExitOk;
}

}  // namespace

cli::Verb scan_verb() {
  return {
      "scan",
      "check every file under PATHs against a set file",
      "scan [--json] [--set SET | --config FILE] [--report] [--catalog | --catalog-dir DIR] PATH...",
      "Walks each PATH recursively (following symlinks; loops are detected, a path named twice is walked\n"
      "once), reads many files in flight on every core with io_uring (pread where io_uring is\n"
      "unavailable), hashes each file with the algorithms the set holds and reports hits, one a line\n"
      "(JSON with --json: path, size, owner_uid, mtime, algorithm, hash, list, ...). The set is --set, or\n"
      "else the config's paths.set. With --report, hits are also journalled into the config's\n"
      "[[reporting.journals]] entry named \"scan\" (or --journal NAME), which dijk-control reports to the\n"
      "hotline. Unreadable, vanished and special files and symlink loops are named on stderr (with\n"
      "--json: {\"problem\", \"path\", \"detail\", \"error\"} lines on stdout) and counted, never fatal.\n"
      "With --catalog (the config's [scan] catalog) or --catalog-dir DIR, each file read is recorded in\n"
      "the fingerprint catalog (docs/catalog.md) and a file whose size, mtime and ctime are as recorded is\n"
      "not read again (--reread reads it anyway); `dijkctl catalog hunt` then checks stored files against\n"
      "what a new set version adds without reading them.\n"
      "On a terminal a progress line shows the rate and, once the walk is listed, the time left.\n"
      "A summary follows (stderr; stdout with --json).\n"
      "Exit status: 0 no hits, 1 hits (even if some files failed), 2 errors and no hits, or hits that\n"
      "could not be journalled.",
      {{"--set", true, "the set file to match against (default: the config's paths.set)", "SET"},
       {"--config", true,
        "the config file (default /etc/dijk/dijk.toml), read without --set or with --report", "FILE"},
       {"--report", false, "journal hits too, so the reporter delivers them to the hotline", ""},
       {"--journal", true, "the [[reporting.journals]] entry --report writes to (default scan)", "NAME"},
       {"--catalog", false, "record files in the config's [scan] catalog; read only what changed", ""},
       {"--catalog-dir", true, "record files in this catalog; read only what changed", "DIR"},
       {"--reread", false, "with a catalog: read unchanged files too", ""},
       {"--files-from", true, "read more paths, one a line, from FILE (- for stdin)", "FILE"},
       {"--include", true, "take only files matching GLOB (repeatable; a GLOB with / matches the path)",
        "GLOB"},
       {"--exclude", true, "skip files and directories matching GLOB (repeatable)", "GLOB"},
       {"--json", false, "hits and summary as JSON lines on stdout", ""},
       {"--threads", true, "worker threads (default: one per core)", "N"},
       {"--in-flight", true, "files in flight per thread with io_uring (default 16)", "N"},
       {"--max-size", true, "skip (and count) files larger than this many bytes", "BYTES"},
       {"--no-uring", false, "read with pread even where io_uring works", ""},
       {"--lanes", true,
        "MD5 and SHA-1 of the files in flight in vector lanes: auto (default), avx512, avx2, off", "ISA"},
       {"--no-follow", false, "do not follow symbolic links below the given paths", ""},
       {"--quiet", false, "no progress line and no summary", ""}},
      run_scan};
}

}  // namespace dijk::ctl
