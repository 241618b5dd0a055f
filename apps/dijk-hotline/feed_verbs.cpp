// `dijk-hotline keygen | publish | retract | unretract | history | rotate-key`: the hotline side of the
// signed feed (control/feed/publisher.h and ledger.h do the work; this file is the command line).
#include <cmath>
#include <cstdio>
#include <iostream>

#include "apps/dijk-hotline/verbs.h"
#include "config/cli/time_arg.h"
#include "control/feed/publisher.h"
#include "hashcore/util/hex.h"
#include "hashcore/util/safe_text.h"

namespace dijk::hotline {
namespace {

std::string keys_dir(const cli::ParsedArgs& args) {
  if (auto k = args.value("--keys")) return *k;
  if (const char* env = std::getenv("DIJK_HOTLINE_KEYS")) return env;
  throw cli::UsageError("--keys DIR is required (or set DIJK_HOTLINE_KEYS)");
}

std::int64_t seconds_option(const cli::ParsedArgs& args, const std::string& name, std::int64_t fallback) {
  const auto v = args.value(name);
  if (!v) return fallback;
  try {
    const long long n = std::stoll(*v);
    if (n <= 0) throw std::invalid_argument("not positive");
    return n;
  } catch (const std::exception&) {
    throw cli::UsageError(name + " takes a positive number");
  }
}

feed::PublishOptions publish_options(const cli::ParsedArgs& args) {
  feed::PublishOptions o;
  const auto feed_dir = args.value("--feed");
  if (!feed_dir) throw cli::UsageError("--feed DIR is required");
  o.feed_dir = *feed_dir;
  o.keys_dir = keys_dir(args);
  o.keep_deltas = static_cast<std::uint32_t>(seconds_option(args, "--keep-deltas", 8));
  o.expires_in_seconds = seconds_option(args, "--expires-in", 2 * 86400);
  return o;
}

void print_result(const feed::PublishOptions& o, const feed::PublishResult& r) {
  std::cout << o.feed_dir << ": published version " << r.version << ", " << r.hashes << " hashes, "
            << r.delta_changes << " changes since the previous version";
  if (r.held_back > 0) std::cout << ", " << r.held_back << " retracted hashes held back";
  std::cout << "\n";
  if (!r.warning.empty()) std::cerr << "warning: " << r.warning << "\n";
}

// Who runs the command, for the ledger: --by, else the login that sudo or the shell reports.
std::string operator_name(const cli::ParsedArgs& args) {
  if (auto by = args.value("--by")) return *by;
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  }
  return "unknown";
}

std::vector<Digest> digests_of(const std::vector<std::string>& texts) {
  if (texts.empty()) throw cli::UsageError("no hashes given");
  std::vector<Digest> digests;
  for (const std::string& text : texts) {
    const auto d = feed::parse_digest_label(text);
    if (!d) {
      throw cli::UsageError("`" + printable_text(text) + "` is not an MD5, SHA-1 or SHA-256 hex hash");
    }
    digests.push_back(*d);
  }
  return digests;
}

// --max-removal as a share: "10%" or "10" (percent), 0..100.
double max_removal_share(const cli::ParsedArgs& args) {
  const auto v = args.value("--max-removal");
  if (!v) return 0.10;
  std::string text = *v;
  if (!text.empty() && text.back() == '%') text.pop_back();
  try {
    std::size_t used = 0;
    const double percent = std::stod(text, &used);
    if (used != text.size() || !(percent >= 0 && percent <= 100)) throw std::invalid_argument("range");
    return percent / 100;
  } catch (const std::exception&) {
    throw cli::UsageError("--max-removal takes a percentage from 0 to 100 (e.g. 10%)");
  }
}

std::string percent_text(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", share * 100);
  return buf;
}

void print_plan(const feed::PublishPlan& plan) {
  const auto& d = plan.diff;
  std::cout << "dry run: version " << plan.version << " would hold " << plan.contents.exact_count()
            << " hashes: +" << d.added() << " -" << d.removed() << "\n";
  for (const feed::ListChange& l : d.lists) {
    std::cout << "  list " << printable_text(l.name);
    if (!l.category.empty()) std::cout << " (" << printable_text(l.category) << ")";
    std::cout << ": " << l.before << " -> " << l.after << ", +" << l.added << " -" << l.removed << "\n";
  }
  std::cout << "  allow-list: +" << d.allow_added << " -" << d.allow_removed << "\n";
  if (plan.held_back > 0) std::cout << "  held back (retracted in the ledger): " << plan.held_back << "\n";
  std::cout << "nothing published\n";
}

int run_keygen(const cli::ParsedArgs& args) {
  feed::KeygenOptions o;
  o.keys_dir = keys_dir(args);
  const auto name = args.value("--feed-name");
  if (!name) throw cli::UsageError("--feed-name NAME is required");
  o.feed_name = *name;
  o.key_valid_seconds = seconds_option(args, "--valid-for", o.key_valid_seconds);
  feed::keygen(o);
  std::cout << o.keys_dir
            << ": root.key (move it offline), root.pub (pin it on appliances), feed.key, delegation\n"
            << "root public key: " << feed::key_to_hex(feed::load_public_key(o.keys_dir + "/root.pub"))
            << "\n";
  return cli::kExitOk;
}

int run_rotate(const cli::ParsedArgs& args) {
  feed::RotateOptions o;
  o.keys_dir = keys_dir(args);
  o.root_key = args.value("--root-key").value_or("");
  o.key_valid_seconds = seconds_option(args, "--valid-for", o.key_valid_seconds);
  const std::uint64_t serial = feed::rotate_key(o);
  std::cout << o.keys_dir << ": new feed key, delegation serial " << serial
            << "; appliances refuse older serials once they have seen it. Publish now.\n";
  return cli::kExitOk;
}

int run_publish(const cli::ParsedArgs& args) {
  const auto set = args.value("--set");
  if (!set) throw cli::UsageError("--set SET is required");
  const double share = max_removal_share(args);
  const auto o = publish_options(args);
  feed::PublishPlan plan = feed::plan_publish(o, feed::read_set(*HashSet::open(*set)));
  if (args.flag("--dry-run")) {
    print_plan(plan);
    return cli::kExitOk;
  }
  // A set that lost most of a list is far more often a broken export than a decision.
  if (const feed::ListChange* l = feed::mass_removal(plan.diff, share);
      l && !args.flag("--allow-mass-removal")) {
    std::cerr << "dijk-hotline publish: list `" << printable_text(l->name) << "` would lose " << l->removed
              << " of its " << l->before << " hashes, more than --max-removal " << percent_text(share)
              << "; nothing published (check the set with --dry-run, or pass --allow-mass-removal)\n";
    return cli::kExitError;
  }
  print_result(
      o, feed::publish_plan(o, std::move(plan), {operator_name(args), args.value("--note").value_or("")}));
  return cli::kExitOk;
}

int run_retract(const cli::ParsedArgs& args) {
  const auto reason = args.value("--reason");
  if (!reason || reason->empty()) throw cli::UsageError("--reason TEXT is required");
  const auto digests = digests_of(args.positional());
  const auto o = publish_options(args);
  const auto result = feed::retract(o, digests, *reason, operator_name(args));
  for (const Digest& d : result.not_listed) {
    std::cerr
        << "warning: " << feed::digest_label(d)
        << " is in no list of the current version (retracted anyway: it stays out of later publishes)\n";
  }
  print_result(o, result);
  return cli::kExitOk;
}

int run_unretract(const cli::ParsedArgs& args) {
  const auto reason = args.value("--reason");
  if (!reason || reason->empty()) throw cli::UsageError("--reason TEXT is required");
  const auto digests = digests_of(args.positional());
  const std::string keys = keys_dir(args);
  const auto not_retracted = feed::unretract(keys, digests, *reason, operator_name(args));
  for (const Digest& d : not_retracted) {
    std::cerr << "warning: " << feed::digest_label(d) << " is not retracted; nothing to undo\n";
  }
  const std::size_t done = digests.size() - not_retracted.size();
  std::cout << feed::Ledger(keys).path() << ": " << done << " hashes unretracted; the next publish of a set "
            << "that holds them puts them back\n";
  return done > 0 ? cli::kExitOk : cli::kExitFound;
}

void print_record(const feed::LedgerRecord& r) {
  std::cout << cli::format_iso_utc(r.time) << "  ";
  const std::string by = printable_text(r.by.empty() ? "?" : r.by);
  if (r.kind == feed::LedgerKind::publish) {
    std::cout << "version " << r.version << " published by " << by << ": " << r.total << " hashes, +"
              << r.added << " -" << r.removed;
    if (r.held > 0) std::cout << ", " << r.held << " held back";
    if (!r.note.empty()) std::cout << "; note: " << printable_text(r.note);
    std::cout << "\n";
    return;
  }
  std::cout << feed::ledger_kind_name(r.kind) << " by " << by << ", " << r.hashes.size()
            << " hashes: " << printable_text(r.note) << "\n";
  for (const Digest& d : r.hashes) std::cout << "    " << feed::digest_label(d) << "\n";
}

int run_history(const cli::ParsedArgs& args) {
  const feed::Ledger ledger(keys_dir(args));
  const auto parsed = ledger.read();
  for (const auto& p : parsed.problems) {
    std::cerr << ledger.path() << ":" << p.line << ": " << p.reason << "\n";
  }
  for (const auto& r : parsed.records) print_record(r);
  const feed::RetractedSet retracted(parsed.records);
  std::cout << retracted.size() << " hashes retracted now\n";
  return parsed.problems.empty() ? cli::kExitOk : cli::kExitFound;
}

const cli::OptionSpec kKeys{"--keys", true, "keys directory (default $DIJK_HOTLINE_KEYS)", "DIR"};
const cli::OptionSpec kBy{"--by", true, "who, for the ledger (default $SUDO_USER or $USER)", "NAME"};
const cli::OptionSpec kValid{"--valid-for", true,
                             "seconds the feed key's delegation is valid (default 1 year)", "S"};
const std::vector<cli::OptionSpec> kPublishOptions{
    {"--feed", true, "the feed directory (served as static files)", "DIR"},
    kKeys,
    {"--keep-deltas", true, "keep deltas from the last N versions (default 8)", "N"},
    {"--expires-in", true, "seconds until appliances refuse this version as frozen (default 2 days)", "S"},
};

}  // namespace

cli::Verb keygen_verb() {
  return {
      "keygen",
      "create the root key, the feed key and the delegation",
      "keygen --keys DIR --feed-name NAME [--valid-for SECONDS]",
      "Writes root.key (the offline root: move it off this machine), root.pub (pin it on every appliance),\n"
      "feed.key (the online key that signs manifests) and delegation (root's signature over feed.key's\n"
      "public half, serial 1). Refuses to overwrite existing keys.",
      {kKeys, {"--feed-name", true, "the feed's name, checked by appliances", "NAME"}, kValid},
      run_keygen};
}

cli::Verb rotate_key_verb() {
  return {"rotate-key",
          "replace the feed key (needs the offline root key)",
          "rotate-key --keys DIR [--root-key FILE] [--valid-for SECONDS]",
          "Generates a new feed key and a delegation with the next serial, signed by the root key. Once an\n"
          "appliance has seen the new serial it refuses manifests signed under any older one.",
          {kKeys, {"--root-key", true, "the root private key (default DIR/root.key)", "FILE"}, kValid},
          run_rotate};
}

cli::Verb publish_verb() {
  auto options = kPublishOptions;
  options.push_back({"--set", true, "the set file to publish (from `import`)", "SET"});
  options.push_back({"--dry-run", false, "print what would change per list; publish nothing", ""});
  options.push_back({"--note", true, "why, recorded in the ledger and the delta", "TEXT"});
  options.push_back(kBy);
  options.push_back(
      {"--max-removal", true, "refuse when a list would lose more than this (default 10%)", "PCT"});
  options.push_back(
      {"--allow-mass-removal", false, "publish even when a list loses more than --max-removal", ""});
  return {
      "publish",
      "publish a set file as the feed's next version",
      "publish --feed DIR --set SET [--keys DIR] [--dry-run] [--note TEXT] [--by NAME] [--max-removal PCT]\n"
      "        [--allow-mass-removal] [--keep-deltas N] [--expires-in SECONDS]",
      "Writes snapshot-<v>.dfc, delta-<v-1>-<v>.dfc against the previous version, and a new signed manifest\n"
      "(renamed into place last). Hashes retracted in the ledger (KEYS/ledger) stay out, whatever the set\n"
      "holds, until `unretract`. --dry-run prints added and removed per list and writes nothing. Refuses\n"
      "(exit 2) when a list would lose more than --max-removal of its hashes (default 10%) unless\n"
      "--allow-mass-removal. Republishing an unchanged set refreshes the expiry. Refuses (exit 2) when the\n"
      "feed key's delegation has expired; warns on stderr a week ahead, or when it expires before the\n"
      "manifest does. Every publish is recorded in the ledger (`history`).",
      options,
      run_publish};
}

cli::Verb retract_verb() {
  auto options = kPublishOptions;
  options.push_back({"--reason", true, "why (recorded in the ledger and the delta)", "TEXT"});
  options.push_back(kBy);
  return {
      "retract",
      "remove hashes from the feed at once, and keep them out",
      "retract --feed DIR --reason TEXT [--keys DIR] [--by NAME] HASH...",
      "Records the retraction in the ledger (KEYS/ledger: who, when, why), then publishes the next version\n"
      "without the given hashes (MD5, SHA-1 or SHA-256 hex, or md5:HEX), whatever list they are in. Every\n"
      "later publish keeps them out until `unretract`. Warns when a hash is in no list. Appliances drop\n"
      "them at their next sync (`dijkctl sync now` for at once).",
      options,
      run_retract};
}

cli::Verb unretract_verb() {
  return {"unretract",
          "let retracted hashes come back at the next publish",
          "unretract --reason TEXT [--keys DIR] [--by NAME] HASH...",
          "Records in the ledger that the hashes are no longer retracted. Nothing is published: the next\n"
          "`publish` of a set that holds them puts them back. Warns (exit 1 if none was) for a hash that\n"
          "is not retracted.",
          {kKeys, {"--reason", true, "why (required; recorded in the ledger)", "TEXT"}, kBy},
          run_unretract};
}

cli::Verb history_verb() {
  return {
      "history",
      "list every published version and retraction from the ledger",
      "history [--keys DIR]",
      "Prints the ledger in order: each published version (time, by, hash count, added, removed, held\n"
      "back, note) and each retraction and unretraction with its reason and hashes; then how many hashes\n"
      "are retracted now. Times are UTC. A damaged ledger line is named on stderr (exit 1).",
      {kKeys},
      run_history};
}

}  // namespace dijk::hotline
