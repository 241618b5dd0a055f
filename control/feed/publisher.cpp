#include "control/feed/publisher.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>

#include "control/feed/files.h"
#include "core/durable_file.h"
#include "core/unix_time.h"

namespace dijk::feed {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kMaxContentBytes = std::uint64_t{16} << 30;

std::string utc_time(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string path_in(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

FileEntry write_content(const std::string& dir, const std::string& name,
                        const std::vector<std::uint8_t>& bytes) {
  write_file_durably(path_in(dir, name), std::span<const std::uint8_t>(bytes), 0644);
  return {name, bytes.size(), sha256(bytes)};
}

std::string issue_delegation(const SigningKey& root, const std::string& feed, std::uint64_t serial,
                             const PublicKey& key, std::int64_t not_after) {
  Delegation d{feed, serial, key, not_after};
  return sign_block(render_delegation(d), root);
}

// The feed's current state, if it has been published before.
struct Previous {
  bool exists = false;
  Manifest manifest;
  SetContents contents;
};

Previous load_previous(const std::string& feed_dir) {
  Previous p;
  const std::string manifest_path = path_in(feed_dir, "manifest");
  if (!fs::exists(manifest_path)) return p;
  p.manifest = parse_manifest_file(read_text_file(manifest_path, kMaxManifestBytes)).manifest;
  const auto bytes = read_file(path_in(feed_dir, p.manifest.snapshot.name), kMaxContentBytes);
  if (sha256(bytes) != p.manifest.snapshot.sha256) {
    throw FeedFormatError(p.manifest.snapshot.name +
                          ": does not match the manifest (feed directory damaged)");
  }
  p.contents = decode_snapshot(bytes);
  p.exists = true;
  return p;
}

}  // namespace

std::string key_expiry_warning(std::int64_t not_after, std::int64_t manifest_expires, std::int64_t now) {
  const bool soon = not_after - now < kKeyExpiryWarningSeconds;
  const bool before_manifest = not_after < manifest_expires;
  if (!soon && !before_manifest) return "";
  std::string w = "the feed key's delegation expires at " + utc_time(not_after) + " (in " +
                  std::to_string((not_after - now) / 3600) + " h)";
  if (before_manifest) {
    w += ", before this manifest's own expiry at " + utc_time(manifest_expires) +
         ": appliances will refuse it as key_expired from then on";
  }
  return w + "; run `dijk-hotline rotate-key` (needs the root key) and publish again before then";
}

void keygen(const KeygenOptions& o) {
  if (!valid_file_name(o.feed_name))
    throw FeedFormatError("feed name must be [A-Za-z0-9._-], at most 96 bytes");
  fs::create_directories(o.keys_dir);
  for (const char* name : {"root.key", "feed.key", "delegation"}) {
    if (fs::exists(path_in(o.keys_dir, name))) {
      throw std::runtime_error(path_in(o.keys_dir, name) + " exists: refusing to overwrite keys");
    }
  }
  const SigningKey root = SigningKey::generate();
  const SigningKey feed_key = SigningKey::generate();
  root.save_pem(path_in(o.keys_dir, "root.key"));
  write_file_durably(path_in(o.keys_dir, "root.pub"), key_to_hex(root.public_key()) + "\n", 0644);
  feed_key.save_pem(path_in(o.keys_dir, "feed.key"));
  write_file_durably(
      path_in(o.keys_dir, "delegation"),
      issue_delegation(root, o.feed_name, 1, feed_key.public_key(), unix_now() + o.key_valid_seconds), 0644);
}

std::uint64_t rotate_key(const RotateOptions& o) {
  const std::string root_path = o.root_key.empty() ? path_in(o.keys_dir, "root.key") : o.root_key;
  const SigningKey root = SigningKey::load_pem(root_path);
  const ManifestFile old =
      parse_delegation_file(read_text_file(path_in(o.keys_dir, "delegation"), kMaxManifestBytes));
  if (!verify(root.public_key(), old.delegation_signed, old.delegation_sig)) {
    throw std::runtime_error("the current delegation was not issued by " + root_path);
  }
  const SigningKey next = SigningKey::generate();
  const std::uint64_t serial = old.delegation.serial + 1;
  // The old key is kept beside the new one (feed.key.<serial>): if the delegation write fails, publishing
  // refuses the mismatched pair and the old key can be put back.
  const std::string key_path = path_in(o.keys_dir, "feed.key");
  std::error_code ec;
  fs::copy_file(key_path, key_path + "." + std::to_string(old.delegation.serial),
                fs::copy_options::overwrite_existing, ec);
  next.save_pem(key_path);
  write_file_durably(path_in(o.keys_dir, "delegation"),
                     issue_delegation(root, old.delegation.feed, serial, next.public_key(),
                                      unix_now() + o.key_valid_seconds),
                     0644);
  return serial;
}

namespace {

// publish_contents, for contents of which `held_before` hashes were already held back (a plan's).
PublishResult publish_held(const PublishOptions& o, SetContents contents, const Attribution& who,
                           std::uint64_t held_before) {
  const std::string& note = who.note;
  const std::string& by = who.by;
  const std::int64_t now = o.now != 0 ? o.now : unix_now();
  const SigningKey feed_key = SigningKey::load_pem(path_in(o.keys_dir, "feed.key"));
  const std::string delegation_text = read_text_file(path_in(o.keys_dir, "delegation"), kMaxManifestBytes);
  const ManifestFile delegation = parse_delegation_file(delegation_text);
  if (delegation.delegation.key != feed_key.public_key()) {
    throw std::runtime_error("feed.key does not match the delegation (rotate-key interrupted?)");
  }
  // Appliances refuse a manifest under an expired delegation (key_expired), whatever its own expiry: such a
  // publish would only replace a manifest they still accept by one they all refuse.
  const std::int64_t not_after = delegation.delegation.not_after;
  if (not_after <= now) {
    throw std::runtime_error("the feed key's delegation (serial " +
                             std::to_string(delegation.delegation.serial) + ") expired at " +
                             utc_time(not_after) +
                             ": appliances would refuse this version as key_expired; nothing published. Run "
                             "`dijk-hotline rotate-key` (needs the root key), then publish again");
  }
  fs::create_directories(o.feed_dir);
  const Previous prev = load_previous(o.feed_dir);
  if (prev.exists && prev.manifest.feed != delegation.delegation.feed) {
    throw std::runtime_error("feed directory holds feed `" + prev.manifest.feed + "`, keys are for `" +
                             delegation.delegation.feed + "`");
  }
  const Ledger ledger(o.keys_dir);
  const std::uint64_t held = held_before + hold_back(contents, RetractedSet(ledger.read().records));
  contents.normalize();
  const SetDiff diff = diff_sets(prev.contents, contents);

  Manifest m;
  m.feed = delegation.delegation.feed;
  m.version = prev.exists ? prev.manifest.version + 1 : 1;
  m.issued = now;
  m.expires = now + o.expires_in_seconds;
  m.key_serial = delegation.delegation.serial;
  m.snapshot = write_content(o.feed_dir, "snapshot-" + std::to_string(m.version) + ".dfc",
                             encode_snapshot(contents, m.version));
  PublishResult result;
  result.version = m.version;
  result.hashes = contents.exact_count();
  result.key_not_after = not_after;
  result.warning = key_expiry_warning(not_after, m.expires, now);
  result.held_back = held;
  if (prev.exists) {
    const auto delta = encode_delta(prev.contents, contents, prev.manifest.version, m.version, note);
    result.delta_changes = decode_delta(delta).changes();
    const std::uint64_t oldest = m.version > o.keep_deltas ? m.version - o.keep_deltas : 0;
    for (const DeltaEntry& d : prev.manifest.deltas) {
      if (d.from >= oldest && m.deltas.size() + 1 < kMaxDeltas) m.deltas.push_back(d);
    }
    const std::string name =
        "delta-" + std::to_string(prev.manifest.version) + "-" + std::to_string(m.version) + ".dfc";
    m.deltas.push_back({prev.manifest.version, m.version, write_content(o.feed_dir, name, delta)});
  }
  write_file_durably(path_in(o.feed_dir, "manifest"), assemble_manifest_file(delegation_text, m, feed_key),
                     0644);
  LedgerRecord record;
  record.kind = LedgerKind::publish;
  record.time = now;
  record.by = by;
  record.note = note;
  record.version = m.version;
  record.total = result.hashes;
  record.added = diff.added();
  record.removed = diff.removed();
  record.held = held;
  ledger.append(record);

  // Files neither manifest names are gone; the previous manifest's stay one more version for clients that
  // fetched it a moment ago.
  std::set<std::string> keep{"manifest", m.snapshot.name};
  for (const auto& d : m.deltas) keep.insert(d.file.name);
  if (prev.exists) {
    keep.insert(prev.manifest.snapshot.name);
    for (const auto& d : prev.manifest.deltas) keep.insert(d.file.name);
  }
  for (const auto& e : fs::directory_iterator(o.feed_dir)) {
    const std::string name = e.path().filename().string();
    std::error_code ec;
    if (e.is_regular_file() && name.ends_with(".dfc") && !keep.contains(name)) fs::remove(e.path(), ec);
  }
  return result;
}

}  // namespace

PublishResult publish_contents(const PublishOptions& o, SetContents contents, const std::string& note,
                               const std::string& by) {
  return publish_held(o, std::move(contents), {by, note}, 0);
}

PublishResult publish_plan(const PublishOptions& o, PublishPlan plan, const Attribution& who) {
  return publish_held(o, std::move(plan.contents), who, plan.held_back);
}

std::uint64_t hold_back(SetContents& contents, const RetractedSet& retracted) {
  if (retracted.size() == 0) return 0;
  std::uint64_t held = 0;
  for (Algorithm a : kAllAlgorithms) {
    Digest d;
    d.algorithm = a;
    const std::size_t size = digest_size(a);
    std::erase_if(contents.exact[static_cast<std::size_t>(a)], [&](const Entry& e) {
      std::memcpy(d.bytes.data(), e.bytes.data(), size);
      const bool out = retracted.contains(d);
      held += out ? 1 : 0;
      return out;
    });
  }
  return held;
}

PublishPlan plan_publish(const PublishOptions& o, SetContents contents) {
  const Previous prev = load_previous(o.feed_dir);
  PublishPlan plan;
  plan.held_back = hold_back(contents, RetractedSet(Ledger(o.keys_dir).read().records));
  contents.normalize();
  plan.diff = diff_sets(prev.contents, contents);
  plan.version = prev.exists ? prev.manifest.version + 1 : 1;
  plan.contents = std::move(contents);
  return plan;
}

PublishResult publish_set(const PublishOptions& o, const std::string& set_path, const Attribution& who) {
  return publish_contents(o, read_set(*HashSet::open(set_path)), who.note, who.by);
}

PublishResult retract(const PublishOptions& o, const std::vector<Digest>& digests, const std::string& reason,
                      const std::string& by) {
  Previous prev = load_previous(o.feed_dir);
  if (!prev.exists) throw std::runtime_error(o.feed_dir + ": nothing published yet, nothing to retract");
  // The ledger first: should publishing fail below, the next publish still keeps these hashes out.
  LedgerRecord record;
  record.kind = LedgerKind::retract;
  record.time = o.now != 0 ? o.now : unix_now();
  record.by = by;
  record.note = reason;
  record.hashes = digests;
  Ledger(o.keys_dir).append(record);
  std::vector<Digest> not_listed;
  for (const Digest& digest : digests) {
    const auto& v = prev.contents.exact[static_cast<std::size_t>(digest.algorithm)];
    Entry probe;
    probe.bytes = digest.bytes;
    const bool listed = std::binary_search(v.begin(), v.end(), probe, [&](const Entry& x, const Entry& y) {
      return std::memcmp(x.bytes.data(), y.bytes.data(), digest.size()) < 0;
    });
    if (!listed) not_listed.push_back(digest);
  }
  PublishResult result = publish_contents(o, std::move(prev.contents), "retract: " + reason, by);
  result.not_listed = std::move(not_listed);
  return result;
}

std::vector<Digest> unretract(const std::string& keys_dir, const std::vector<Digest>& digests,
                              const std::string& reason, const std::string& by, std::int64_t now) {
  const Ledger ledger(keys_dir);
  const RetractedSet retracted(ledger.read().records);
  LedgerRecord record;
  record.kind = LedgerKind::unretract;
  record.time = now != 0 ? now : unix_now();
  record.by = by;
  record.note = reason;
  std::vector<Digest> not_retracted;
  for (const Digest& d : digests) (retracted.contains(d) ? record.hashes : not_retracted).push_back(d);
  if (!record.hashes.empty()) ledger.append(record);
  return not_retracted;
}

}  // namespace dijk::feed
