#include "control/sync/syncer.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "control/feed/content.h"
#include "control/feed/files.h"
#include "hashcore/set/hash_set.h"

namespace dijk::sync {
namespace fs = std::filesystem;
using feed::Failure;

namespace {

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

std::uint64_t version_of(const std::string& path) {
  try {
    return HashSet::open(path, SetVerification::structure)->version();
  } catch (const SetFileError&) {
    return 0;
  }
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
      << "sync.last_seconds " << last_seconds << "\n"
      << "sync.phase_seconds fetch " << fetch_seconds << " apply " << apply_seconds << " build "
      << build_seconds << " verify " << verify_seconds << "\n"
      << "sync.attempts " << attempts << "\n"
      << "sync.installs " << installs << "\n";
  for (std::size_t i = 1; i < feed::kFailureCount; ++i) {
    out << "sync.failures." << feed::failure_name(static_cast<Failure>(i)) << " " << failures[i] << "\n";
  }
  return out.str();
}

Syncer::Syncer(SyncConfig config, std::unique_ptr<Fetcher> fetcher, Clock clock)
    : config_(std::move(config)),
      fetcher_(std::move(fetcher)),
      clock_(clock ? std::move(clock) : system_now) {
  fs::create_directories(config_.set_dir);
  load_state(status_);
}

std::string Syncer::current_path() const {
  return (fs::path(config_.set_dir) / "current.set").string();
}
std::string Syncer::previous_path() const {
  return (fs::path(config_.set_dir) / "previous.set").string();
}

void Syncer::load_state(SyncStatus& st) const {
  st.installed_version = version_of(current_path());
  try {
    const std::string text = feed::read_text_file((fs::path(config_.set_dir) / "feed-state").string(), 4096);
    std::istringstream in(text);
    std::string key;
    std::uint64_t value = 0;
    while (in >> key >> value) {
      if (key == "accepted_version") st.accepted_version = value;
      if (key == "key_serial") st.key_serial = value;
    }
  } catch (const std::exception&) {
    // No state yet: a fresh appliance accepts any correctly signed version.
  }
  st.accepted_version = std::max(st.accepted_version, st.installed_version);
}

void Syncer::save_state(const SyncStatus& st) const {
  feed::write_file_atomic((fs::path(config_.set_dir) / "feed-state").string(),
                          "accepted_version " + std::to_string(st.accepted_version) + "\nkey_serial " +
                              std::to_string(st.key_serial) + "\n");
}

SyncStatus Syncer::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

SyncStatus Syncer::sync_once() {
  std::lock_guard sync_lock(sync_mutex_);
  SyncStatus st = status();
  load_state(st);
  const std::uint64_t installed_before = st.installed_version;
  const auto started = std::chrono::steady_clock::now();
  st.last_attempt = clock_();
  ++st.attempts;
  Outcome out;
  try {
    out = attempt(st);
  } catch (const std::exception& e) {
    out = {is_disk_error(e) ? Failure::disk : Failure::internal, e.what()};
  }
  std::error_code ec;
  fs::remove(fs::path(config_.set_dir) / "next.set", ec);
  st.last_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  st.last_failure = out.failure;
  st.last_error = out.detail;
  if (out.failure == Failure::none) {
    st.last_success = st.last_attempt;
  } else {
    ++st.failures[static_cast<std::size_t>(out.failure)];
  }
  try {
    feed::write_file_atomic((fs::path(config_.set_dir) / "sync-status").string(), st.to_text());
  } catch (const std::exception&) {
    // A full disk must not hide the status: it stays in memory (and in the admin socket).
  }
  {
    std::lock_guard lock(status_mutex_);
    status_ = st;
  }
  if (finished_) finished_(installed_before, st);
  return st;
}

Syncer::Outcome Syncer::attempt(SyncStatus& st) {
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
    save_state(st);
  }
  if (verdict.up_to_date || st.installed_version >= m.version) {
    st.accepted_version = std::max(st.accepted_version, m.version);
    save_state(st);
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

  // 2. What to fetch, with every length capped before a byte is downloaded.
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

  // 3. The new content: the snapshot, or the installed set with each delta applied in order.
  feed::SetContents contents;
  try {
    if (plan.snapshot) {
      feed::ContentHeader h;
      contents = feed::decode_snapshot(files[0], {}, &h);
      if (h.version != m.version) return {Failure::inconsistent, "snapshot is not of the manifest's version"};
      st.last_method = "snapshot";
    } else {
      contents = feed::read_set(*HashSet::open(current_path(), SetVerification::full));
      for (std::size_t i = 0; i < files.size(); ++i) {
        const feed::Delta d = feed::decode_delta(files[i]);
        if (d.header.base_version != plan.deltas[i].from || d.header.version != plan.deltas[i].to) {
          return {Failure::inconsistent, plan.deltas[i].file.name + ": versions differ from the manifest's"};
        }
        feed::apply_delta(contents, d);
      }
      st.last_method = "deltas " + std::to_string(files.size());
    }
  } catch (const feed::FeedFormatError& e) {
    return {Failure::malformed, e.what()};
  }
  files.clear();
  phase_end(st.apply_seconds);

  // 4. Build beside the old set, verify, then promote: previous.set <- current.set, current.set <- next.set.
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
  try {
    if (HashSet::open(next, SetVerification::full)->version() != m.version) {
      return {Failure::set_invalid, "built set has the wrong version"};
    }
  } catch (const SetFileError& e) {
    return {Failure::set_invalid, e.what()};
  }
  phase_end(st.verify_seconds);
  const std::string current = current_path();
  if (fs::exists(current)) {
    const std::string link_tmp = previous_path() + ".tmp";
    std::error_code ec;
    fs::remove(link_tmp, ec);
    if (::link(current.c_str(), link_tmp.c_str()) != 0 ||
        ::rename(link_tmp.c_str(), previous_path().c_str()) != 0) {
      return {Failure::disk, std::string("cannot keep the previous set: ") + std::strerror(errno)};
    }
  }
  if (::rename(next.c_str(), current.c_str()) != 0) {
    return {Failure::disk, std::string("cannot rename the new set into place: ") + std::strerror(errno)};
  }
  feed::fsync_directory(config_.set_dir);
  st.installed_version = m.version;
  st.accepted_version = m.version;
  ++st.installs;
  try {
    save_state(st);
  } catch (const std::exception&) {
    // The set is installed; the accepted version is also recovered from current.set at the next start.
  }
  if (installed_) installed_(current, m.version);
  return {};
}

void Syncer::run(std::chrono::seconds interval) {
  std::unique_lock lock(run_mutex_);
  while (!stopping_) {
    lock.unlock();
    sync_once();
    lock.lock();
    run_cv_.wait_for(lock, interval, [this] { return stopping_ || requested_; });
    requested_ = false;
  }
}

void Syncer::request_sync() {
  {
    std::lock_guard lock(run_mutex_);
    requested_ = true;
  }
  run_cv_.notify_all();
}

void Syncer::stop() {
  {
    std::lock_guard lock(run_mutex_);
    stopping_ = true;
  }
  run_cv_.notify_all();
}

void rollback_set(const std::string& set_dir) {
  const std::string current = (fs::path(set_dir) / "current.set").string();
  const std::string previous = (fs::path(set_dir) / "previous.set").string();
  if (!fs::exists(previous)) throw std::runtime_error(previous + ": no previous set to roll back to");
  // Verify before exposing it: a damaged previous set must not replace a working one.
  HashSet::open(previous, SetVerification::full);
  if (::renameat2(AT_FDCWD, previous.c_str(), AT_FDCWD, current.c_str(), RENAME_EXCHANGE) != 0) {
    throw std::system_error(errno, std::generic_category(), "exchange " + previous + " and " + current);
  }
  feed::fsync_directory(set_dir);
}

}  // namespace dijk::sync
