// `dijkctl catalog stats|verify|hunt|compact`: the fingerprint catalog of stored files (docs/catalog.md).
#include <cstdio>
#include <thread>

#include "apps/dijkctl/scan_output.h"
#include "apps/dijkctl/verbs.h"
#include "config/cli/time_arg.h"
#include "dataplane/catalog/hunt_run.h"
#include "dataplane/events/json_text.h"
#include "hashcore/util/safe_text.h"

namespace dijk::ctl {
namespace {

using catalog::CatalogStore;

const cli::OptionSpec kCatalogDir{"--catalog-dir", true, "the catalog (default: the config's [scan] catalog)",
                                  "DIR"};
const cli::OptionSpec kConfig{"--config", true, "the config file (default /etc/dijk/dijk.toml)", "FILE"};
const cli::OptionSpec kJson{"--json", false, "one JSON object on stdout", ""};

std::string catalog_dir(const cli::ParsedArgs& args) {
  if (auto d = args.value("--catalog-dir")) return *d;
  const Config config = load_config_for(args, "no --catalog-dir given, so the catalog comes from the config");
  if (config.scan.catalog.empty())
    throw std::runtime_error("no catalog: the config's [scan] catalog is empty (or give --catalog-dir)");
  return config.scan.catalog;
}

// A JSON array of strings.
std::string json_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? "," : "") + json_string(i);
  return out + "]";
}

std::string iso_time(std::int64_t ns) {
  return cli::format_iso_utc(ns / 1'000'000'000);
}

int run_stats(const cli::ParsedArgs& args) {
  const CatalogStore store(catalog_dir(args), CatalogStore::Mode::read_only);
  const catalog::CatalogStats s = store.stats();
  const double per = s.records > 0 ? static_cast<double>(s.disk_bytes) / static_cast<double>(s.records) : 0;
  if (args.flag("--json")) {
    JsonObject o;
    o.add("catalog", store.dir()).add("records", s.records).add("disk_bytes", s.disk_bytes);
    o.add("bytes_per_record", per);
    o.add_raw("roots", json_strings(s.roots));
    if (s.hunted) {
      o.add("hunted_set_version", s.hunted->set_version).add("hunted_at", iso_time(s.hunted->finished_ns));
    }
    std::printf("%s\n", o.str().c_str());
    return cli::kExitOk;
  }
  std::printf("Catalog:      %s\n", printable_text(store.dir()).c_str());
  std::printf("Records:      %llu (estimate; `dijkctl catalog verify` counts them)\n",
              static_cast<unsigned long long>(s.records));
  std::printf("On disk:      %llu bytes, %.1f a record\n", static_cast<unsigned long long>(s.disk_bytes),
              per);
  for (const auto& r : s.roots) std::printf("Root:         %s\n", printable_text(r).c_str());
  if (s.hunted) {
    std::printf("Hunted:       set version %llu, %s\n",
                static_cast<unsigned long long>(s.hunted->set_version),
                iso_time(s.hunted->finished_ns).c_str());
  } else {
    std::printf("Hunted:       never\n");
  }
  return cli::kExitOk;
}

int run_verify(const cli::ParsedArgs& args) {
  const CatalogStore store(catalog_dir(args), CatalogStore::Mode::read_only);
  const catalog::VerifyReport r = store.verify();
  const bool ok = r.checksums_ok && r.bad_records == 0;
  if (args.flag("--json")) {
    JsonObject o;
    o.add("catalog", store.dir()).add("ok", ok).add("checksums_ok", r.checksums_ok);
    o.add("checksum_error", r.checksum_error).add("records", r.records).add("with_pdq", r.with_pdq);
    o.add("bad_records", r.bad_records).add("file_bytes", r.file_bytes);
    o.add_raw("bad_examples", json_strings(r.bad_examples));
    std::printf("%s\n", o.str().c_str());
  } else {
    std::printf("Catalog:      %s\n", printable_text(store.dir()).c_str());
    std::printf("Checksums:    %s\n", r.checksums_ok ? "ok" : printable_text(r.checksum_error).c_str());
    std::printf("Records:      %llu (%llu with a PDQ hash), covering %llu bytes of files\n",
                static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.with_pdq),
                static_cast<unsigned long long>(r.file_bytes));
    std::printf("Bad records:  %llu\n", static_cast<unsigned long long>(r.bad_records));
    for (const auto& b : r.bad_examples) std::printf("  %s\n", printable_text(b).c_str());
  }
  return ok ? cli::kExitOk : cli::kExitError;
}

int run_compact(const cli::ParsedArgs& args) {
  CatalogStore store(catalog_dir(args), CatalogStore::Mode::read_write);
  store.compact();
  const catalog::CatalogStats s = store.stats();
  std::printf("compacted: %llu bytes on disk\n", static_cast<unsigned long long>(s.disk_bytes));
  return cli::kExitOk;
}

int run_hunt(const cli::ParsedArgs& args) {
  const auto from = args.value("--from");
  const bool all = args.flag("--all");
  if (from.has_value() == all) throw cli::UsageError("give --from OLD.set, or --all (one of them)");
  const bool report = args.flag("--report");
  const bool json = args.flag("--json");
  std::optional<Config> config;
  if (!args.value("--set") || report || !args.value("--catalog-dir"))
    config = load_config_for(args, "the set, the catalog or --report's journal come from the config");
  const std::string dir = args.value("--catalog-dir").value_or(config ? config->scan.catalog : "");
  if (dir.empty())
    throw std::runtime_error("no catalog: the config's [scan] catalog is empty (or give --catalog-dir)");
  const auto after = HashSet::open(args.value("--set").value_or(config ? config->paths.set : ""),
                                   SetVerification::full, std::max(1u, std::thread::hardware_concurrency()));
  const auto before = from ? HashSet::open(*from) : nullptr;

  CatalogStore store(dir, CatalogStore::Mode::read_write);
  std::unique_ptr<journal::JournalWriter> journal;
  if (report)
    journal = open_report_journal(*config, args.value("--journal").value_or("scan"),
                                  "dijkctl catalog hunt --report");
  PrintingHitSink printer(stdout, json ? PrintingHitSink::Style::json : PrintingHitSink::Style::human);
  ScanHits hits(printer, journal.get());
  ScanOptions options;
  if (config) {
    options.max_file_bytes = config->hashing.max_file_size_mb << 20;
    options.pdq_radius = static_cast<int>(config->hashing.pdq_max_distance);
  }
  const catalog::HuntReport r = catalog::run_retro_hunt(
      store, before.get(), after, hits,
      [json](const std::string& path, ScanProblem p, const std::string& detail) {
        if (json) return;
        std::fprintf(stderr, "%s: %s (%s)\n", printable_text(path).c_str(), scan_problem_name(p),
                     printable_text(detail).c_str());
      },
      options);
  const bool journal_failed = journal && !close_report_journal(*journal, hits, "dijkctl catalog hunt");
  if (json) {
    JsonObject o;
    o.add("summary", "hunt").add("set_version", after->version()).add("added_digests", r.added_exact);
    o.add("added_pdq", r.added_pdq).add("records", r.counts.records).add("candidates", r.candidates);
    o.add("exact_candidates", r.counts.exact_candidates).add("pdq_candidates", r.counts.pdq_candidates);
    o.add("located", r.located).add("vanished", r.vanished).add("reread", r.reread.files);
    o.add("hits", r.reread.hits).add("seconds", r.seconds).add("journalled", journal != nullptr);
    std::printf("%s\n", o.str().c_str());
  } else {
    std::fprintf(stderr, "\n----------- RETRO-HUNT SUMMARY -----------\n");
    std::fprintf(stderr, "Set version:     %llu (added %llu digests, %llu PDQ hashes%s)\n",
                 static_cast<unsigned long long>(after->version()),
                 static_cast<unsigned long long>(r.added_exact), static_cast<unsigned long long>(r.added_pdq),
                 from ? "" : ": the whole set");
    std::fprintf(stderr, "Catalog records: %llu (%llu images searched by PDQ)\n",
                 static_cast<unsigned long long>(r.counts.records),
                 static_cast<unsigned long long>(r.counts.images));
    std::fprintf(stderr, "Candidates:      %llu (%llu by digest, %llu by PDQ), %llu found, %llu gone\n",
                 static_cast<unsigned long long>(r.candidates),
                 static_cast<unsigned long long>(r.counts.exact_candidates),
                 static_cast<unsigned long long>(r.counts.pdq_candidates),
                 static_cast<unsigned long long>(r.located), static_cast<unsigned long long>(r.vanished));
    std::fprintf(stderr, "Read again:      %llu files, %llu hits in %.2f s\n",
                 static_cast<unsigned long long>(r.reread.files),
                 static_cast<unsigned long long>(r.reread.hits), r.seconds);
    if (journal) std::fprintf(stderr, "Hits journalled for the reporter.\n");
  }
  if (journal_failed) return cli::kExitError;
  return r.reread.hits > 0 ? cli::kExitFound : cli::kExitOk;
}

}  // namespace

std::vector<cli::Verb> catalog_verbs() {
  std::vector<cli::Verb> v;
  v.push_back({"catalog stats",
               "what the fingerprint catalog holds",
               "catalog stats [--catalog-dir DIR] [--json]",
               "Prints the catalog's folder, its record count (RocksDB's estimate), its bytes on disk and a\n"
               "record, the trees it covers, and the set version it was last hunted against. Opens it\n"
               "read-only: safe while dijk-watch writes it.",
               {kCatalogDir, kConfig, kJson},
               run_stats});
  v.push_back({"catalog verify",
               "read every record of the catalog and check it",
               "catalog verify [--catalog-dir DIR] [--json]",
               "Checks every block checksum of the catalog's files, then decodes every record, and counts\n"
               "records, images and the bytes of files they cover. Bad records are named (their keys) and\n"
               "counted; a re-scan reads those files again and rewrites them.\n"
               "Exit status: 0 sound, 2 a checksum failed or a record is bad.",
               {kCatalogDir, kConfig, kJson},
               run_verify});
  v.push_back(
      {"catalog hunt",
       "check stored files against what a set version added, without reading them",
       "catalog hunt (--from OLD.set | --all) [--set NEW.set] [--report] [--json]",
       "Finds the catalogued files that may match what NEW.set (default: the config's paths.set)\n"
       "holds and OLD.set did not (or, with --all, anything NEW.set holds): their digests by prefix,\n"
       "their PDQ hashes within the match radius. Only those are read again and matched whole;\n"
       "hits are printed with source \"retrohunt\" and, with --report, journalled for the reporter.\n"
       "dijk-watch does this by itself whenever a new set version goes live. A summary goes to\n"
       "stderr (stdout with --json). Exit status: 0 no hits, 1 hits, 2 errors.",
       {kCatalogDir,
        kConfig,
        {"--from", true, "the set version before (its hashes are not hunted)", "OLD.set"},
        {"--all", false, "hunt everything the set holds", ""},
        {"--set", true, "the new set (default: the config's paths.set)", "NEW.set"},
        {"--report", false, "journal hits too, so the reporter delivers them", ""},
        {"--journal", true, "the [[reporting.journals]] entry --report writes to (default scan)", "NAME"},
        kJson},
       run_hunt});
  v.push_back({"catalog compact",
               "write the catalog out compactly",
               "catalog compact [--catalog-dir DIR]",
               "Flushes and compacts the catalog's files (RocksDB), so that its size on disk is what its\n"
               "records take. Needs the catalog to itself: stop dijk-watch first.",
               {kCatalogDir, kConfig},
               run_compact});
  return v;
}

}  // namespace dijk::ctl
