#include "apps/dijk-control/feed_link.h"

#include <iomanip>
#include <iostream>

#include "control/feed/crypto.h"
#include "control/sync/fetcher.h"
#include "hashcore/pdq_index/pdq_set_section.h"

namespace dijk::control {

std::filesystem::path set_dir_of(const Config& config) {
  return std::filesystem::path(config.paths.set).parent_path();
}

sync::SyncConfig sync_config_of(const Config& config) {
  sync::SyncConfig s;
  s.feed_name = config.feed.name;
  s.set_dir = set_dir_of(config).string();
  s.roots.push_back(feed::load_public_key(config.feed.root_key));
  s.merge_at_entries = config.feed.merge_overlay_at;
  s.merge_pause_ratio = config.feed.merge_pause_ratio;
  return s;
}

sync::HttpsOptions https_options_of(const Config& config) {
  sync::HttpsOptions h;
  h.base_url = config.feed.url;
  if (!h.base_url.empty() && h.base_url.back() != '/') h.base_url += '/';
  h.ca_file = config.feed.ca;
  h.client_cert = config.feed.client_cert;
  h.client_key = config.feed.client_key;
  return h;
}

// The audit trail in the journal: every failed sync with its reason, every new set installed.
void FeedLink::log_sync(std::uint64_t installed_before, const sync::SyncStatus& st) const {
  if (st.last_failure != feed::Failure::none) {
    std::cerr << "dijk-control: sync: failed: " << feed::failure_name(st.last_failure) << ": "
              << st.last_error << " (set version " << st.installed_version << " keeps serving)" << std::endl;
    return;
  }
  if (st.installed_version == installed_before) return;
  std::string entries = "?";
  try {
    entries =
        std::to_string(set_entry_count(*HashSet::open(syncer_.current_path(), SetVerification::structure)));
  } catch (const std::exception&) {
    // Replaced again meanwhile, or unreadable: the line still says which version went in.
  }
  const std::string layers = st.overlay_entries == 0
                                 ? ""
                                 : ", as an overlay of " + std::to_string(st.overlay_entries) +
                                       " entries over base version " + std::to_string(st.base_version);
  std::cerr << "dijk-control: set: installed version " << installed_before << " -> " << st.installed_version
            << " (" << entries << " entries, " << st.last_method << layers << ", " << std::fixed
            << std::setprecision(3) << st.last_seconds << " s)" << std::endl;
}

FeedLink::FeedLink(const Config& config) : FeedLink(config, sync_config_of(config)) {}

FeedLink::FeedLink(const Config& config, sync::SyncConfig sync_config)
    : feed_(config.feed),
      roots_(sync_config.roots),
      syncer_(std::move(sync_config), std::make_unique<sync::HttpsFetcher>(https_options_of(config))) {
  std::filesystem::create_directories(set_dir_of(config));
  syncer_.on_finished(
      [this](std::uint64_t installed_before, const sync::SyncStatus& st) { log_sync(installed_before, st); });
  // Why a sync replaced the installed set instead of updating it belongs in the daemon's log.
  syncer_.on_note([](const std::string& line) { std::cerr << "dijk-control: feed: " << line << std::endl; });
  thread_ = std::thread([this] {
    syncer_.run(std::chrono::seconds(feed_.interval_s));
    finished_ = true;
  });
}

FeedLink::~FeedLink() {
  syncer_.stop();
  thread_.join();
}

}  // namespace dijk::control
