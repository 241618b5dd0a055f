// `dijkctl scan`: check every file under the given paths against a set file, on every core.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "apps/dijkctl/verbs.h"
#include "dataplane/events/hit_printer.h"
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

void print_summary(const ScanSummary& s, bool json, std::FILE* out) {
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
    o.add("threads", std::uint64_t{s.threads}).add("reader", s.reader);
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

int run_scan(const cli::ParsedArgs& args) {
  const auto set_path = args.value("--set");
  if (!set_path) throw cli::UsageError("--set SET is required");
  if (args.positional().empty()) throw cli::UsageError("no paths given");
  const bool json = args.flag("--json");
  ScanOptions options;
  options.force_pread = args.flag("--no-uring");
  options.follow_symlinks = !args.flag("--no-follow");
  if (auto t = args.value("--threads")) options.threads = static_cast<unsigned>(std::stoul(*t));
  if (auto m = args.value("--max-size")) options.max_file_bytes = std::stoull(*m);
  if (auto f = args.value("--in-flight")) {
    options.files_in_flight = static_cast<unsigned>(std::stoul(*f));
    if (options.files_in_flight == 0 || options.files_in_flight > 1024)
      throw cli::UsageError("--in-flight must be 1..1024");
  }

  const auto set =
      HashSet::open(*set_path, SetVerification::full, std::max(1u, std::thread::hardware_concurrency()));
  PrintingHitSink hits(stdout, json ? PrintingHitSink::Style::json : PrintingHitSink::Style::human);
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
    progress = [](const ScanSummary& s) {
      std::fprintf(stderr, "\r\033[K%llu files, %s, %llu hits", static_cast<unsigned long long>(s.files),
                   human_bytes(static_cast<double>(s.bytes)).c_str(),
                   static_cast<unsigned long long>(s.hits));
    };
  }
  const ScanSummary summary = scanner.run(args.positional(), progress);
  clear_progress();
  if (!args.flag("--quiet")) print_summary(summary, json, json ? stdout : stderr);
  // Hits matter more than errors to whoever checks the status: 1 whenever something matched.
  if (summary.hits > 0) return cli::kExitFound;
  return summary.errors() > 0 ? cli::kExitError : cli::kExitOk;
}

}  // namespace

cli::Verb scan_verb() {
  return {
      "scan",
      "check every file under PATHs against a set file",
      "scan [--json] --set SET PATH...",
      "Walks each PATH recursively (following symlinks; loops are detected), reads many files in\n"
      "flight on every core with io_uring (pread where io_uring is unavailable), hashes each file with\n"
      "the algorithms the set holds and reports hits, one a line (JSON with --json: path, size,\n"
      "algorithm, hash, list, ...). Unreadable, vanished and special files and symlink loops are named on\n"
      "stderr (with --json: {\"problem\", \"path\", \"detail\", \"error\"} lines on stdout) and counted,\n"
      "never fatal. A summary follows (stderr; stdout with --json).\n"
      "Exit status: 0 no hits, 1 hits (even if some files failed), 2 errors and no hits.",
      {{"--set", true, "the set file to match against (required)", "SET"},
       {"--json", false, "hits and summary as JSON lines on stdout", ""},
       {"--threads", true, "worker threads (default: one per core)", "N"},
       {"--in-flight", true, "files in flight per thread with io_uring (default 16)", "N"},
       {"--max-size", true, "skip (and count) files larger than this many bytes", "BYTES"},
       {"--no-uring", false, "read with pread even where io_uring works", ""},
       {"--no-follow", false, "do not follow symbolic links below the given paths", ""},
       {"--quiet", false, "no progress line and no summary", ""}},
      run_scan};
}

}  // namespace dijk::ctl
