#include "control/sync/syncer.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>

#include "control/feed/content.h"
#include "control/feed/crypto.h"
#include "control/feed/files.h"
#include "control/feed/overlay_writer.h"
#include "core/durable_file.h"
#include "core/unix_time.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/set/set_merge.h"

namespace dijk::sync {
namespace fs = std::filesystem;
using feed::Failure;

namespace {

struct Plan {
  bool snapshot = false;
  std::vector<feed::DeltaEntry> deltas;
};

// Deltas in order from `installed` to the manifest's version when the feed still has them all and they
// are smaller than the snapshot; otherwise the snapshot.
Plan plan_update(const feed::Manifest& m, std::uint64_t installed) {
  Plan p;
  std::uint64_t at = installed;
  std::uint64_t bytes = 0;
  while (installed != 0 && at < m.version) {
    const feed::DeltaEntry* next = nullptr;
    for (const auto& d : m.deltas) {
      if (d.from == at && (next == nullptr || d.to > next->to)) next = &d;
    }
    if (next == nullptr) break;
    p.deltas.push_back(*next);
    bytes += next->file.length;
    at = next->to;
  }
  if (installed == 0 || at != m.version || bytes >= m.snapshot.length) {
    p.deltas.clear();
    p.snapshot = true;
  }
  return p;
}

// An exclusive flock on the set directory for as long as it lives (see syncer.h).
class SetDirLock {
 public:
  // Waits for the lock, or with `wait` false, holds() says whether it was free.
  SetDirLock(const std::string& dir, bool wait) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + dir);
    int rc = 0;
    while ((rc = ::flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      const int e = errno;
      ::close(fd_);
      fd_ = -1;
      if (e != EWOULDBLOCK) throw std::system_error(e, std::generic_category(), "lock " + dir);
    }
  }
  ~SetDirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  SetDirLock(const SetDirLock&) = delete;
  SetDirLock& operator=(const SetDirLock&) = delete;
  bool holds() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Pinned roots as the feed-state names them.
std::vector<std::string> root_names(const std::vector<feed::PublicKey>& roots) {
  std::vector<std::string> names;
  for (const auto& r : roots) names.push_back(feed::key_to_hex(r));
  return names;
}

bool is_disk_error(const std::exception& e) {
  if (dynamic_cast<const std::system_error*>(&e) != nullptr) return true;
  return std::strstr(e.what(), "write failed") != nullptr || std::strstr(e.what(), "fsync") != nullptr ||
         std::strstr(e.what(), "cannot create") != nullptr || std::strstr(e.what(), "rename") != nullptr;
}

}  // namespace

std::string SyncStatus::to_text() const {
  std::ostringstream out;
  out << "sync.installed_version " << installed_version << "\n"
      << "sync.accepted_version " << accepted_version << "\n"
      << "sync.key_serial " << key_serial << "\n"
      << "sync.feed_version_seen " << feed_version_seen << "\n"
      << "sync.feed_expires " << feed_expires << "\n"
      << "sync.last_attempt " << last_attempt << "\n"
      << "sync.last_success " << last_success << "\n"
      << "sync.last_failure " << feed::failure_name(last_failure) << "\n"
      << "sync.last_error " << last_error << "\n"
      << "sync.last_method " << last_method << "\n"
      << "sync.last_note " << last_note << "\n"
      << "sync.last_seconds " << last_seconds << "\n"
      << "sync.phase_seconds fetch " << fetch_seconds << " apply " << apply_seconds << " build "
      << build_seconds << " verify " << verify_seconds << "\n"
      << "sync.attempts " << attempts << "\n"
      << "sync.installs " << installs << "\n"
      << "sync.base_version " << base_version << "\n"
      << "sync.overlay_entries " << overlay_entries << "\n"
      << "sync.merges " << merges << "\n"
      << "sync.merge_runs " << merge_runs << "\n"
      << "sync.last_merge " << last_merge << "\n"
      << "sync.last_merge_seconds " << last_merge_seconds << "\n";
  for (std::size_t i = 1; i < feed::kFailureCount; ++i) {
    out << "sync.failures." << feed::failure_name(static_cast<Failure>(i)) << " " << failures[i] << "\n";
  }
  return out.str();
}

Syncer::Syncer(SyncConfig config, std::unique_ptr<Fetcher> fetcher, Clock clock)
    : config_(std::move(config)), fetcher_(std::move(fetcher)), clock_(clock ? std::move(clock) : unix_now) {
  fs::create_directories(config_.set_dir);
  load_state(status_);
}

std::string Syncer::current_path() const {
  return (fs::path(config_.set_dir) / "current.set").string();
}
std::string Syncer::previous_path() const {
  return (fs::path(config_.set_dir) / "previous.set").string();
}

Syncer::Local Syncer::load_state(SyncStatus& st) const {
  // Everything from disk: an earlier sync's in-memory values must not outlive a changed set directory.
  st.accepted_version = 0;
  st.key_serial = 0;
  st.installed_version = 0;
  st.base_version = 0;
  st.overlay_entries = 0;
  Local local;
  std::string text;
  try {
    text = feed::read_text_file((fs::path(config_.set_dir) / "feed-state").string(), 16384);
  } catch (const std::exception&) {
    // No state yet: a fresh appliance accepts any correctly signed version.
  }
  std::string feed_name;
  std::vector<std::string> roots;
  bool legacy = !text.empty();  // written before the state named its feed: it can only be this feed's
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "feed") {
      in >> feed_name;
      legacy = false;
    } else if (key == "root") {
      roots.emplace_back();
      in >> roots.back();
    } else if (key == "accepted_version") {
      in >> st.accepted_version;
    } else if (key == "key_serial") {
      in >> st.key_serial;
    } else if (key == "set") {
      SetRecord r;
      std::string checksum;
      in >> r.version >> checksum;
      if (checksum.size() == 16 &&
          std::from_chars(checksum.data(), checksum.data() + 16, r.checksum, 16).ec == std::errc{})
        local.installed.push_back(r);
    }
  }
  const auto pinned = root_names(config_.roots);
  const bool same_root = std::any_of(roots.begin(), roots.end(),
                                     [&](const auto& r) { return std::ranges::count(pinned, r) > 0; });
  if (!text.empty() && !legacy && (feed_name != config_.feed_name || !same_root)) {
    // Another trust domain's memory (the feed or its root key was changed): its versions and serials say
    // nothing about this feed, and its sets are not this feed's. Kept on disk until this feed verifies.
    local.state_note = "feed-state was for feed " + feed_name + (same_root ? "" : " under another root key") +
                       ": starting afresh for feed " + config_.feed_name;
    st.accepted_version = st.key_serial = 0;
    local.installed.clear();
  }
  try {
    const auto set = HashSet::open(current_path(), SetVerification::structure);
    const SetRecord current{set->version(), set->header_checksum()};
    st.base_version = set->base_file().version();
    st.overlay_entries = set->overlay_entries();
    if (legacy && current.version <= st.accepted_version) local.installed.push_back(current);
    if (std::ranges::count(local.installed, current) > 0) {
      st.installed_version = current.version;
      local.current = current;
    } else {
      local.other_set = true;
      local.other_version = current.version;
    }
  } catch (const SetFileError&) {
    // Missing or unreadable: none installed (dijkd refuses it too).
  }
  return local;
}

void Syncer::save_state(const SyncStatus& st, const Local& local) const {
  std::string text = "feed " + config_.feed_name + "\n";
  for (const auto& r : root_names(config_.roots)) text += "root " + r + "\n";
  text += "accepted_version " + std::to_string(st.accepted_version) + "\nkey_serial " +
          std::to_string(st.key_serial) + "\n";
  for (const auto& r : local.installed) {
    char checksum[17];
    std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(r.checksum));
    text += "set " + std::to_string(r.version) + " " + checksum + "\n";
  }
  write_file_durably(fs::path(config_.set_dir) / "feed-state", text, 0644);
}

void Syncer::note(SyncStatus& st, const std::string& line) {
  st.last_note += (st.last_note.empty() ? "" : "; ") + line;
  if (note_) note_(line);
}

SyncStatus Syncer::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

SyncStatus Syncer::sync_once() {
  std::lock_guard sync_lock(sync_mutex_);
  std::uint64_t number = 0;
  {
    std::lock_guard lock(run_mutex_);
    number = ++started_;
    running_ = true;
    requested_ = false;  // this sync answers every request made before it started
  }
  SyncStatus st = status();
  const auto started = std::chrono::steady_clock::now();
  st.last_attempt = clock_();
  st.attempts = number;
  st.last_note.clear();
  Outcome out;
  std::optional<SetDirLock> dir_lock;  // held until sync-status is written
  std::uint64_t installed_before = 0;  // for the daemon's log: did this sync install a new version?
  try {
    dir_lock.emplace(config_.set_dir, true);
    Local local = load_state(st);
    installed_before = st.installed_version;
    if (!local.state_note.empty()) note(st, local.state_note);
    out = attempt(st, local);
  } catch (const std::exception& e) {
    out = {is_disk_error(e) ? Failure::disk : Failure::internal, e.what()};
  }
  std::error_code ec;
  fs::remove(fs::path(config_.set_dir) / "next.set", ec);
  fs::remove(fs::path(config_.set_dir) / "next.overlay", ec);
  st.last_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  st.last_failure = out.failure;
  st.last_error = out.detail;
  if (out.failure == Failure::none) {
    st.last_success = st.last_attempt;
  } else {
    ++st.failures[static_cast<std::size_t>(out.failure)];
  }
  // The merger's counters are its own: a merge that finished while this sync ran must not be undone by
  // this sync's copy of the status from before it.
  const auto take_merge_fields = [this, &st] {
    st.merges = status_.merges;
    st.merge_runs = status_.merge_runs;
    st.last_merge = status_.last_merge;
    st.last_merge_seconds = status_.last_merge_seconds;
  };
  {
    std::lock_guard lock(status_mutex_);
    take_merge_fields();
  }
  try {
    write_file_durably(fs::path(config_.set_dir) / "sync-status", st.to_text(), 0644);
  } catch (const std::exception&) {
    // A full disk must not hide the status: it stays in memory (and in the admin socket).
  }
  {
    std::lock_guard lock(status_mutex_);
    take_merge_fields();
    status_ = st;
  }
  {
    std::lock_guard lock(run_mutex_);
    running_ = false;
  }
  if (finished_) finished_(installed_before, st);
  return st;
}

Syncer::Outcome Syncer::attempt(SyncStatus& st, Local& local) {
  // 1. The manifest: small, capped, parsed as hostile, then the chain of signatures and freshness.
  FetchResult got = fetcher_->fetch("manifest", feed::kMaxManifestBytes);
  if (!got.ok()) return {got.failure, got.detail};
  feed::ManifestFile file;
  try {
    file = feed::parse_manifest_file({reinterpret_cast<const char*>(got.bytes.data()), got.bytes.size()});
  } catch (const feed::FeedFormatError& e) {
    return {Failure::malformed, e.what()};
  }
  feed::TrustPolicy policy{config_.roots, config_.feed_name, st.key_serial, st.accepted_version,
                           config_.max_clock_skew};
  const feed::Verdict verdict = feed::verify_manifest(file, policy, clock_());
  if (!verdict.ok()) return {verdict.failure, verdict.detail};
  const feed::Manifest& m = file.manifest;
  st.feed_version_seen = m.version;
  st.feed_expires = m.expires;
  if (file.delegation.serial > st.key_serial) {
    // A newer key generation is now the minimum: the rotated-away key cannot sign for this appliance again.
    st.key_serial = file.delegation.serial;
    save_state(st, local);
  }

  // 2. The installed set, checked in full: a damaged one (a flipped bit, a bad disk) would be refused by
  // dijkd at its next start and cannot take deltas, so it counts as none and the snapshot replaces it.
  std::shared_ptr<const HashSet> installed;
  if (st.installed_version != 0) {
    try {
      installed = HashSet::open(current_path(), SetVerification::full);
    } catch (const SetFileError& e) {
      note(st, "installed set version " + std::to_string(st.installed_version) + " fails verification (" +
                   e.what() + "): installing the snapshot of version " + std::to_string(m.version));
      st.installed_version = 0;
    }
  } else if (local.other_set) {
    note(st, "current.set (version " + std::to_string(local.other_version) + ") is not from feed " +
                 config_.feed_name +
                 " (imported by hand?): replacing it with the feed's snapshot of version " +
                 std::to_string(m.version) + " (it stays as previous.set)");
  }
  // Nothing installed from this feed takes the snapshot even of the accepted version (a deleted or
  // replaced set); a rolled-back appliance (installed below accepted) stays where the admin put it.
  if (installed && (verdict.up_to_date || st.installed_version >= m.version)) {
    st.accepted_version = std::max(st.accepted_version, m.version);
    save_state(st, local);
    st.last_method = "up to date";
    return {};
  }

  using Steady = std::chrono::steady_clock;
  auto phase_start = Steady::now();
  auto phase_end = [&phase_start](double& into) {
    const auto t = Steady::now();
    into = std::chrono::duration<double>(t - phase_start).count();
    phase_start = t;
  };
  st.fetch_seconds = st.apply_seconds = st.build_seconds = st.verify_seconds = 0;

  // 3. What to fetch, with every length capped before a byte is downloaded.
  const Plan plan = plan_update(m, st.installed_version);
  std::vector<std::pair<const feed::FileEntry*, std::uint64_t>> wanted;  // file, cap
  if (plan.snapshot) {
    wanted.push_back({&m.snapshot, config_.max_snapshot_bytes});
  } else {
    for (const auto& d : plan.deltas) wanted.push_back({&d.file, config_.max_delta_bytes});
  }
  std::vector<std::vector<std::uint8_t>> files;
  for (const auto& [entry, cap] : wanted) {
    if (entry->length > cap) {
      return {Failure::too_large, entry->name + ": " + std::to_string(entry->length) +
                                      " bytes is over the cap of " + std::to_string(cap)};
    }
    // One byte more than announced is fetched so that a padded file is caught as a length mismatch.
    FetchResult f = fetcher_->fetch(entry->name, entry->length + 1);
    if (!f.ok()) {
      if (f.failure == Failure::too_large)
        return {Failure::length_mismatch, entry->name + ": longer than announced"};
      return {f.failure, f.detail};
    }
    if (f.bytes.size() != entry->length) {
      return {Failure::length_mismatch, entry->name + ": " + std::to_string(f.bytes.size()) +
                                            " bytes, manifest says " + std::to_string(entry->length)};
    }
    if (feed::sha256(f.bytes) != entry->sha256)
      return {Failure::hash_mismatch, entry->name + ": SHA-256 differs"};
    files.push_back(std::move(f.bytes));
  }

  phase_end(st.fetch_seconds);

  // 4. The new content: the snapshot, or the installed set with each delta applied in order.
  feed::SetContents contents;
  try {
    if (plan.snapshot) {
      feed::ContentHeader h;
      contents = feed::decode_snapshot(files[0], {}, &h);
      if (h.version != m.version) return {Failure::inconsistent, "snapshot is not of the manifest's version"};
      st.last_method = "snapshot";
    } else {
      std::vector<feed::Delta> deltas;
      for (std::size_t i = 0; i < files.size(); ++i) {
        deltas.push_back(feed::decode_delta(files[i]));
        const feed::Delta& d = deltas.back();
        if (d.header.base_version != plan.deltas[i].from || d.header.version != plan.deltas[i].to) {
          return {Failure::inconsistent, plan.deltas[i].file.name + ": versions differ from the manifest's"};
        }
      }
      files.clear();
      st.last_method = "deltas " + std::to_string(deltas.size());
      if (config_.layered) return install_overlay(st, local, *installed, deltas, m.version);
      contents = feed::read_set(*installed);
      for (const feed::Delta& d : deltas) feed::apply_delta(contents, d);
    }
  } catch (const feed::FeedFormatError& e) {
    return {Failure::malformed, e.what()};
  }
  installed.reset();
  files.clear();
  phase_end(st.apply_seconds);

  // 5. Build beside the old set, verify, then promote: previous.set <- current.set, current.set <- next.set.
  const std::string next = (fs::path(config_.set_dir) / "next.set").string();
  try {
    feed::write_set(contents, next, m.version);
  } catch (const std::exception& e) {
    return {Failure::disk, e.what()};
  }
  contents = {};
  // The build's heap (hundreds of MB for a large set) goes back to the system now, not at some later
  // allocation: the daemon idles between syncs.
  ::malloc_trim(0);
  phase_end(st.build_seconds);
  SetRecord built;
  try {
    const auto set = HashSet::open(next, SetVerification::full);
    if (set->version() != m.version) return {Failure::set_invalid, "built set has the wrong version"};
    built = {set->version(), set->header_checksum()};
  } catch (const SetFileError& e) {
    return {Failure::set_invalid, e.what()};
  }
  phase_end(st.verify_seconds);
  const std::string current = current_path();
  if (Outcome kept = keep_previous(st, local, built); kept.failure != Failure::none) return kept;
  try {
    rename_durably(next, current);
  } catch (const std::system_error& e) {
    // Also when only the directory's fsync failed: the set serves, but a power cut may undo it, so the
    // sync is not counted as installed and the next one installs it again.
    return {Failure::disk, std::string("cannot rename the new set into place: ") + e.what()};
  }
  // The old base's overlay names the old base, so it is already ignored; removed after the rename, never
  // before (a reader between the two would see the old base without its overlay).
  try {
    remove_durably(overlay_path_for(current));
  } catch (const std::system_error&) {
    // Ignored by every reader (it names another base); the next install or merge removes it.
  }
  st.installed_version = m.version;
  st.base_version = m.version;
  st.overlay_entries = 0;
  st.accepted_version = m.version;
  ++st.installs;
  try {
    save_state(st, local);
  } catch (const std::exception&) {
    // The set is installed but not recorded as the feed's: the next sync installs the snapshot again.
  }
  if (installed_) installed_(current, m.version);
  return {};
}

Syncer::Outcome Syncer::keep_previous(const SyncStatus& st, Local& local, const SetRecord& built) const {
  const std::string current = current_path();
  try {
    if (fs::exists(current)) link_durably(current, previous_path());
    const std::string overlay = overlay_path_for(current);
    if (fs::exists(overlay)) {
      link_durably(overlay, overlay_path_for(previous_path()));
    } else {
      remove_durably(overlay_path_for(previous_path()));
    }
  } catch (const std::system_error& e) {
    return {Failure::disk, std::string("cannot keep the previous set: ") + e.what()};
  }
  // The feed's sets from now on: the new one, and the one that became previous.set if it was the feed's
  // (so that a rollback to it is still this feed's set).
  local.installed = {built};
  if (st.installed_version != 0) local.installed.push_back(local.current);
  return {};
}

Syncer::Outcome Syncer::install_overlay(SyncStatus& st, Local& local, const HashSet& installed,
                                        const std::vector<feed::Delta>& deltas, std::uint64_t version) {
  using Steady = std::chrono::steady_clock;
  auto t = Steady::now();
  const std::string next = (fs::path(config_.set_dir) / "next.overlay").string();
  try {
    feed::write_overlay(installed, deltas, next, version);
  } catch (const feed::FeedFormatError& e) {
    return {Failure::malformed, e.what()};
  } catch (const SetFileError& e) {
    return {Failure::disk, e.what()};
  }
  st.build_seconds = std::chrono::duration<double>(Steady::now() - t).count();
  t = Steady::now();
  SetRecord built;
  std::uint64_t entries = 0;
  try {
    const auto set = HashSet::with_overlay(installed.base_file().shared_from_this(), next);
    if (set->version() != version) return {Failure::set_invalid, "built overlay has the wrong version"};
    built = {set->version(), set->header_checksum()};
    entries = set->overlay_entries();
  } catch (const SetFileError& e) {
    return {Failure::set_invalid, e.what()};
  }
  st.verify_seconds = std::chrono::duration<double>(Steady::now() - t).count();
  if (Outcome kept = keep_previous(st, local, built); kept.failure != Failure::none) return kept;
  const std::string current = current_path();
  try {
    rename_durably(next, overlay_path_for(current));
  } catch (const std::system_error& e) {
    return {Failure::disk, std::string("cannot rename the new overlay into place: ") + e.what()};
  }
  st.installed_version = version;
  st.accepted_version = version;
  st.base_version = installed.base_file().version();
  st.overlay_entries = entries;
  ++st.installs;
  try {
    save_state(st, local);
  } catch (const std::exception&) {
    // As for a new base: the next sync installs the snapshot again.
  }
  if (entries >= config_.merge_at_entries) {
    std::lock_guard lock(run_mutex_);
    merge_requested_ = true;
    run_cv_.notify_all();
  }
  if (installed_) installed_(current, version);
  return {};
}

std::string Syncer::merge_overlay() {
  const auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(run_mutex_);
    ++merges_started_;
    merge_running_ = true;
  }
  const std::string current = current_path();
  const std::string merged = (fs::path(config_.set_dir) / "merge.set").string();
  std::string what;
  std::uint64_t version = 0;
  bool merged_now = false, nothing_to_merge = false;
  // The merge yields after each phase as long as the phase took (config_.merge_pause_ratio): its copying,
  // checksumming and writing share the memory bus with the lookups beside it, and pausing thins its
  // pressure on it. The base was verified in full when it went live, the overlay too: the structure is
  // checked here, the merged result in full.
  auto phase = std::chrono::steady_clock::now();
  const auto yield = [&phase, this] {
    const auto t = std::chrono::steady_clock::now();
    std::this_thread::sleep_for((t - phase) * config_.merge_pause_ratio);
    phase = std::chrono::steady_clock::now();
  };
  const auto step = [this](std::string_view name) {
    if (config_.merge_step) config_.merge_step(name);
  };
  try {
    const auto now = HashSet::open(current, SetVerification::structure);
    if (!now->layered()) {
      nothing_to_merge = true;
      what = "nothing to merge";
      remove_stale_overlay();
    } else {
      version = now->version();
      const SetRecord merging{now->version(), now->header_checksum()};
      const std::uint64_t entries = now->overlay_entries();
      // The base's tables copied and patched, pausing as long as it works; rebuilt only when the additions
      // do not fit (the set has grown past what its tables were sized for).
      const bool patched = write_merged_base(*now, merged, config_.merge_pause_ratio);
      if (!patched) {
        feed::SetContents contents = feed::read_set(*now);
        feed::write_set(contents, merged, version);
        ::malloc_trim(0);
      }
      step("written");
      yield();
      SetRecord built;
      {
        const auto base = HashSet::open_file(merged, SetVerification::full);
        built = {base->version(), base->header_checksum()};
      }
      step("verified");
      yield();
      // Installed only if the set is still the one merged: a sync may have installed another meanwhile.
      const SetDirLock lock(config_.set_dir, true);
      SyncStatus scratch;
      Local local = load_state(scratch);
      if (local.current != merging) {
        what = "superseded: version " + std::to_string(scratch.installed_version) + " went live meanwhile";
      } else {
        // The merged base is recorded as the feed's before it is renamed in, so that a crash at any point
        // leaves a current set the feed knows (the layers or the merged base), never one it would replace
        // by its snapshot.
        local.installed.insert(local.installed.begin(), built);
        save_state(scratch, local);
        step("recorded");
        rename_durably(merged, current);
        step("renamed");
        remove_durably(overlay_path_for(current));  // after the rename (see attempt)
        step("overlay removed");
        std::erase(local.installed, merging);
        save_state(scratch, local);
        merged_now = true;
        what = "merged version " + std::to_string(version) + ": " + std::to_string(entries) +
               " overlay entries into a new base (" + (patched ? "tables patched" : "rebuilt") + ")";
      }
    }
  } catch (const std::exception& e) {
    what = std::string("failed: ") + e.what();
  }
  std::error_code ec;
  fs::remove(merged, ec);
  {
    std::lock_guard lock(status_mutex_);
    status_.last_merge = what;
    status_.last_merge_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ++status_.merge_runs;
    if (merged_now) {
      ++status_.merges;
      status_.base_version = version;
      status_.overlay_entries = 0;
    }
  }
  {
    std::lock_guard lock(run_mutex_);
    merge_running_ = false;
  }
  if (note_ && !nothing_to_merge) note_("overlay merge: " + what);
  if (merged_now && installed_) installed_(current, version);
  return what;
}

void Syncer::remove_stale_overlay() const {
  // An overlay beside a base it does not name is ignored by every reader; one is left when an install or a
  // merge stopped between renaming its base in and removing the old overlay (a crash, a failed unlink).
  const std::string overlay = overlay_path_for(current_path());
  if (!fs::exists(overlay)) return;
  const SetDirLock lock(config_.set_dir, true);
  // Checked again under the lock: a sync may have installed an overlay for the current base meanwhile.
  if (HashSet::open(current_path(), SetVerification::structure)->layered()) return;
  remove_durably(overlay);
}

void Syncer::run(std::chrono::seconds interval) {
  // Merges run on a thread of their own at the lowest priority, so that a sync (a delta going live) never
  // waits for one, and lookups beside it keep their cores.
  std::thread merger([this] {
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    std::unique_lock lock(run_mutex_);
    while (!stopping_) {
      run_cv_.wait(lock, [this] { return stopping_ || merge_requested_; });
      if (stopping_) break;
      merge_requested_ = false;
      lock.unlock();
      merge_overlay();
      lock.lock();
    }
  });
  std::unique_lock lock(run_mutex_);
  while (!stopping_) {
    lock.unlock();
    sync_once();
    lock.lock();
    run_cv_.wait_for(lock, interval, [this] { return stopping_ || requested_; });
  }
  lock.unlock();
  merger.join();
}

SyncRequest Syncer::request_sync() {
  std::lock_guard lock(run_mutex_);
  // A sync in progress may have read the manifest before whatever prompted this request: the next one
  // answers it.
  requested_ = true;
  run_cv_.notify_all();
  return {running_, started_ + 1};
}

SyncRequest Syncer::request_merge() {
  std::lock_guard lock(run_mutex_);
  // A merge in progress took the overlay as it was when it began: the next one answers this request.
  merge_requested_ = true;
  run_cv_.notify_all();
  return {merge_running_, merges_started_ + 1};
}

bool Syncer::running() const {
  std::lock_guard lock(run_mutex_);
  return running_;
}

void Syncer::stop() {
  {
    std::lock_guard lock(run_mutex_);
    stopping_ = true;
  }
  fetcher_->cancel();
  run_cv_.notify_all();
}

void rollback_set(const std::string& set_dir) {
  const std::string current = (fs::path(set_dir) / "current.set").string();
  const std::string previous = (fs::path(set_dir) / "previous.set").string();
  const SetDirLock lock(set_dir, false);
  if (!lock.holds()) {
    throw std::runtime_error("a feed sync is in progress in " + set_dir +
                             "; try again when it is done (`dijkctl sync now --wait` waits for it)");
  }
  if (!fs::exists(previous)) throw std::runtime_error(previous + ": no previous set to roll back to");
  // Verify before exposing it: a damaged previous set must not replace a working one.
  HashSet::open(previous, SetVerification::full);
  // The overlays first: in between, current.set is served with an overlay that names it or alone, never
  // with another base's.
  const std::string current_overlay = overlay_path_for(current);
  const std::string previous_overlay = overlay_path_for(previous);
  const bool has_current = fs::exists(current_overlay), has_previous = fs::exists(previous_overlay);
  if (has_current && has_previous) {
    exchange_durably(previous_overlay, current_overlay);
  } else if (has_current) {
    rename_durably(current_overlay, previous_overlay);
  } else if (has_previous) {
    rename_durably(previous_overlay, current_overlay);
  }
  exchange_durably(previous, current);
}

}  // namespace dijk::sync
