// dijk-control: the appliance's link to the hotline feed.
//   dijk-control sync --config FILE              sync on the configured interval; SIGUSR1 = sync now
//   dijk-control sync-once --feed-url URL --feed NAME --root-key FILE --ca FILE --set-dir DIR
//                          [--client-cert FILE --client-key FILE] [--timeout SECONDS]
//   dijk-control set-rollback --set-dir DIR      swap current.set and previous.set
//   dijk-control status --set-dir DIR            the last sync's status
#include <signal.h>
#include <toml++/toml.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "control/feed/files.h"
#include "control/reporter/report_verb.h"
#include "control/sync/syncer.h"

namespace {
using namespace dijk;

int usage() {
  std::cerr << "usage:\n"
               "  dijk-control sync --config FILE\n"
               "  dijk-control sync-once --feed-url URL --feed NAME --root-key FILE [--root-key FILE...]\n"
               "                         --ca FILE --set-dir DIR [--client-cert FILE --client-key FILE]\n"
               "                         [--timeout SECONDS]\n"
               "  dijk-control set-rollback --set-dir DIR\n"
               "  dijk-control status --set-dir DIR\n"
               "  dijk-control report --journal DIR --url URL --cert F --key F --ca F --state FILE [...]\n";
  return 2;
}

// --name value pairs; a name may repeat.
std::multimap<std::string, std::string> parse_flags(int argc, char** argv, int first) {
  std::multimap<std::string, std::string> out;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (!a.starts_with("--") || i + 1 >= argc) throw std::runtime_error("bad argument `" + a + "`");
    out.emplace(a.substr(2), argv[++i]);
  }
  return out;
}

std::string flag(const std::multimap<std::string, std::string>& f, const std::string& name,
                 bool required = true) {
  const auto it = f.find(name);
  if (it == f.end()) {
    if (required) throw std::runtime_error("missing --" + name);
    return {};
  }
  return it->second;
}

struct Setup {
  sync::SyncConfig config;
  sync::HttpsOptions https;
  std::chrono::seconds interval{300};
};

Setup from_flags(const std::multimap<std::string, std::string>& f) {
  Setup s;
  s.https.base_url = flag(f, "feed-url");
  s.https.ca_file = flag(f, "ca");
  s.https.client_cert = flag(f, "client-cert", false);
  s.https.client_key = flag(f, "client-key", false);
  if (const auto t = flag(f, "timeout", false); !t.empty())
    s.https.total_timeout = std::chrono::seconds(std::stol(t));
  s.config.feed_name = flag(f, "feed");
  s.config.set_dir = flag(f, "set-dir");
  for (auto [it, end] = f.equal_range("root-key"); it != end; ++it) {
    s.config.roots.push_back(feed::load_public_key(it->second));
  }
  if (s.config.roots.empty()) throw std::runtime_error("missing --root-key");
  return s;
}

// The [feed] table of the appliance's TOML configuration.
Setup from_config(const std::string& path) {
  const toml::table t = toml::parse_file(path);
  const auto* feed = t["feed"].as_table();
  if (feed == nullptr) throw std::runtime_error(path + ": no [feed] table");
  auto text = [&](const char* key, bool required) {
    auto v = (*feed)[key].value<std::string>();
    if (!v && required) throw std::runtime_error(path + ": [feed] needs `" + key + "`");
    return v.value_or("");
  };
  Setup s;
  s.https.base_url = text("url", true);
  s.https.ca_file = text("ca", true);
  s.https.client_cert = text("client_cert", false);
  s.https.client_key = text("client_key", false);
  s.config.feed_name = text("name", true);
  s.config.set_dir = text("set_dir", true);
  s.interval = std::chrono::seconds((*feed)["interval_seconds"].value_or(300));
  if (const auto* roots = (*feed)["root_keys"].as_array()) {
    for (const auto& r : *roots) {
      if (auto p = r.value<std::string>()) s.config.roots.push_back(feed::load_public_key(*p));
    }
  }
  if (s.config.roots.empty()) throw std::runtime_error(path + ": [feed] needs `root_keys`");
  return s;
}

int run_daemon(Setup s) {
  // Signals are taken synchronously by this thread (sigwait), so no handler touches shared state.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  sync::Syncer syncer(s.config, std::make_unique<sync::HttpsFetcher>(s.https));
  syncer.on_installed([](const std::string& path, std::uint64_t version) {
    std::cerr << "dijk-control: installed set version " << version << " at " << path << "\n";
  });
  std::thread worker([&] { syncer.run(s.interval); });
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGUSR1) {
      syncer.request_sync();
      continue;
    }
    break;
  }
  syncer.stop();
  worker.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string verb = argv[1];
  if (verb == "report") {  // the hit reporter (control/reporter) parses its own options
    cli::VerbTable verbs("dijk-control", "dijk-control: the hotline link.");
    verbs.add(reporter::report_verb());
    return verbs.dispatch(argc, argv);
  }
  try {
    const auto flags = parse_flags(argc, argv, 2);
    if (verb == "sync") return run_daemon(from_config(flag(flags, "config")));
    if (verb == "sync-once") {
      Setup s = from_flags(flags);
      sync::Syncer syncer(s.config, std::make_unique<sync::HttpsFetcher>(s.https));
      const sync::SyncStatus st = syncer.sync_once();
      std::cout << st.to_text();
      return st.last_failure == feed::Failure::none ? 0 : 1;
    }
    if (verb == "set-rollback") {
      sync::rollback_set(flag(flags, "set-dir"));
      std::cout << "rolled back: current.set and previous.set exchanged\n";
      return 0;
    }
    if (verb == "status") {
      std::cout << feed::read_text_file(flag(flags, "set-dir") + "/sync-status", 1 << 20);
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "dijk-control " << verb << ": " << e.what() << "\n";
    return 1;
  }
  return usage();
}
