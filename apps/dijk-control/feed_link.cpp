#include "apps/dijk-control/feed_link.h"

#include "control/feed/crypto.h"
#include "control/sync/fetcher.h"

namespace dijk::control {

std::filesystem::path set_dir_of(const Config& config) {
  return std::filesystem::path(config.paths.set).parent_path();
}

sync::SyncConfig sync_config_of(const Config& config) {
  sync::SyncConfig s;
  s.feed_name = config.feed.name;
  s.set_dir = set_dir_of(config).string();
  s.roots.push_back(feed::load_public_key(config.feed.root_key));
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

FeedLink::FeedLink(const Config& config)
    : feed_(config.feed),
      syncer_(sync_config_of(config), std::make_unique<sync::HttpsFetcher>(https_options_of(config))) {
  std::filesystem::create_directories(set_dir_of(config));
  thread_ = std::thread([this] { syncer_.run(std::chrono::seconds(feed_.interval_s)); });
}

FeedLink::~FeedLink() {
  syncer_.stop();
  thread_.join();
}

}  // namespace dijk::control
