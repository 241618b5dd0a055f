// `dijk-hotline keygen | publish | retract | rotate-key`: the hotline side of the signed feed
// (control/feed/publisher.h does the work; this file is the command line).
#include <iostream>

#include "apps/dijk-hotline/verbs.h"
#include "control/feed/publisher.h"
#include "hashcore/util/hex.h"

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
            << r.delta_changes << " changes since the previous version\n";
  if (!r.warning.empty()) std::cerr << "warning: " << r.warning << "\n";
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
  const auto o = publish_options(args);
  print_result(o, feed::publish_set(o, *set));
  return cli::kExitOk;
}

int run_retract(const cli::ParsedArgs& args) {
  const auto reason = args.value("--reason");
  if (!reason || reason->empty()) throw cli::UsageError("--reason TEXT is required");
  if (args.positional().empty()) throw cli::UsageError("no hashes given");
  std::vector<Digest> digests;
  for (const std::string& hex : args.positional()) {
    const auto algorithm = algorithm_from_hex_length(hex.size());
    Digest d;
    if (!algorithm) throw cli::UsageError("`" + hex + "` is not an MD5, SHA-1 or SHA-256 hex hash");
    d.algorithm = *algorithm;
    if (!from_hex_into(hex, {d.bytes.data(), d.size()})) throw cli::UsageError("`" + hex + "` is not hex");
    digests.push_back(d);
  }
  const auto o = publish_options(args);
  print_result(o, feed::retract(o, digests, *reason));
  return cli::kExitOk;
}

const cli::OptionSpec kKeys{"--keys", true, "keys directory (default $DIJK_HOTLINE_KEYS)", "DIR"};
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
  return {
      "publish",
      "publish a set file as the feed's next version",
      "publish --feed DIR --set SET [--keys DIR] [--keep-deltas N] [--expires-in SECONDS]",
      "Writes snapshot-<v>.dfc, delta-<v-1>-<v>.dfc against the previous version, and a new signed manifest\n"
      "(renamed into place last). Republishing an unchanged set refreshes the expiry. Refuses (exit 2)\n"
      "when the feed key's delegation has expired; warns on stderr a week ahead, or when it expires\n"
      "before the manifest does.",
      options,
      run_publish};
}

cli::Verb retract_verb() {
  auto options = kPublishOptions;
  options.push_back({"--reason", true, "why (recorded in the delta)", "TEXT"});
  return {"retract",
          "remove hashes from the feed at once",
          "retract --feed DIR --reason TEXT [--keys DIR] HASH...",
          "Publishes the next version without the given hashes (MD5, SHA-1 or SHA-256 hex), whatever list\n"
          "they are in. Appliances drop them at their next sync (`dijkctl sync now` for at once).",
          options,
          run_retract};
}

}  // namespace dijk::hotline
