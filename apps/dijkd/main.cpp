// dijkd: the wire daemon. `dijkd replay` runs the DPDK dataplane on captures through net_pcap without
// hugepages; `dijkd run` runs it on live ports (with --config: admin socket, metrics, systemd, reload).
// Each stage lives in its own place: options.h (command line and config), live_set.h (the hot-swapped
// set), stream_consumer.h (a worker lcore's stream context), pdq_stage.h (the PDQ threads),
// daemon_services.h (admin, metrics, sd_notify), summary.h.
#include <linux/capability.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/dijkd/daemon_services.h"
#include "apps/dijkd/hit_lanes.h"
#include "apps/dijkd/options.h"
#include "apps/dijkd/replay_setup.h"
#include "apps/dijkd/summary.h"
#include "config/cli/daemon_args.h"
#include "config/notify/capabilities.h"
#include "control/journal/journal_writer.h"
#include "dataplane/dpdk/dataplane.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/events/hit_printer.h"
#include "dataplane/events/json_text.h"
#include "dataplane/pipeline/json_hit_sink.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/pdq_stage.h"
#include "dataplane/pipeline/wire_stages.h"

namespace dijk {
namespace {

// A failure the run ends with: on stderr for people; with --json also one {"error","exit"} object on
// stdout, as dijkctl's verbs do, so a script reading JSON lines is told why there are no more.
int fail(const DijkdOptions& o, const std::string& message) {
  std::cerr << "dijkd: " << message << "\n";
  if (o.json) {
    std::cout << JsonObject().add("error", message).add("exit", static_cast<std::uint64_t>(kExitError)).str()
              << "\n"
              << std::flush;
  }
  return kExitError;
}

// Where hits go: stdout (the shared printers), optionally a JSON-lines file; counted for the exit code.
struct HitSinks {
  explicit HitSinks(const DijkdOptions& o)
      : printer(stdout, o.json ? PrintingHitSink::Style::json : PrintingHitSink::Style::human) {
    std::vector<HitSink*> sinks{&printer};
    if (!o.hits_file.empty()) sinks.push_back(&file.emplace(o.hits_file));
    all.emplace(sinks);
  }
  PrintingHitSink printer;
  std::optional<JsonFileHitSink> file;
  std::optional<TeeHitSink> all;
};

// Once the EAL has opened the ports, give up for good what only the start needed.
void drop_start_capabilities(const DijkdOptions& o) {
  const std::string error = o.hugepages || !o.pci.empty()
                                ? sd::keep_only_capabilities({CAP_IPC_LOCK, CAP_SYS_RAWIO})
                                : sd::keep_only_capabilities({});
  if (!error.empty()) std::cerr << "dijkd: keeping capabilities: " << error << "\n";
}

dpdk::CounterList daemon_counters(const PdqStage* pdq, const HitLanes& lanes, const HitSinks& hits) {
  dpdk::CounterList out;
  if (pdq != nullptr) pdq->append_counters(out);
  lanes.append_counters(out);
  out.emplace_back("hits_reported", hits.all->hits());
  return out;
}

// SIGINT/SIGTERM/SIGHUP are blocked in every thread (EAL threads inherit the mask) and picked up by the
// main thread's loop: no handler, no global flag.
sigset_t block_daemon_signals() {
  return cli::block_daemon_signals({SIGINT, SIGTERM, SIGHUP});
}

// A reload naming another set file: a file that does not open is logged and the current set keeps serving.
void retarget_set(LiveSet& set, const std::string& path) {
  try {
    set.retarget(path);
  } catch (const std::exception& e) {
    std::cerr << "dijkd: paths.set: " << e.what() << ": the current set keeps serving\n";
  }
}

// One pass of the main thread's supervision: the watchdog ping, then a pending signal (waited for up to
// `wait`). SIGHUP reloads the config (without one, re-checks the set file); true means stop.
bool supervise(const sigset_t& signals, timespec wait, DaemonServices* services, LiveSet& set) {
  if (services) services->heartbeat();
  const int sig = sigtimedwait(&signals, nullptr, &wait);
  if (sig == SIGHUP) {
    if (services)
      services->reload();
    else
      set.check_now();
    return false;
  }
  return sig > 0;
}

// `run --config` with no port configured: a fresh appliance, or one whose ports were taken out. No EAL
// and no lcores; the admin socket, metrics, set watching and systemd readiness run as usual, so the box
// comes up healthy and dijkctl can inspect and configure it. Ports take effect on restart.
int run_idle(const DijkdOptions& o) {
  const sigset_t signals = block_daemon_signals();
  LiveSet set(o.set_path, true);
  DaemonServices services(
      o.config_path, *o.config, set, [] { return CounterView{}; },
      [&](const Config& next) { retarget_set(set, next.paths.set); });
  services.describe_dataplane("idle: no ports configured (add [[dataplane.ports]] to " + o.config_path +
                              ", then restart dijkd)");
  services.start();
  drop_start_capabilities(o);
  set.watch(std::chrono::milliseconds(o.set_poll_ms));
  services.ready();
  std::fprintf(stderr, "dijkd: idle: no ports configured in %s; admin socket and metrics only\n",
               o.config_path.c_str());
  while (!supervise(signals, timespec{1, 0}, &services, set)) {
  }
  services.stop();
  return kExitOk;
}

int run_dataplane(const DijkdOptions& o) {
  const sigset_t signals = block_daemon_signals();

  dpdk::EalOptions eal = eal_options_for(o);
  dpdk::DataplaneConfig config;
  config.mode = o.mode;
  config.ips = o.ips;
  if (o.verb == "replay") {
    if (const std::string error = prepare_replay(o.captures, eal, config); !error.empty())
      return fail(o, error);
  }

  HitSinks hits(o);
  std::optional<journal::JournalOptions> journal;
  if (!o.journal_dir.empty()) {
    journal.emplace();
    journal->dir = o.journal_dir;
    journal->appliance_id = o.appliance_id;
    journal->ack_state = o.journal_ack_state;
  }
  HitLanes lanes(*hits.all, std::move(journal));  // a hit is reported once it is durable
  LiveSet set(o.set_path, o.verb == "run");
  std::optional<PdqStage> pdq;
  if (o.pdq && o.digests)
    pdq.emplace(PdqStageOptions{o.pdq_threads, 256, o.pdq_radius, o.pdq_max_pixels, o.pdq_max_file_bytes},
                set, lanes);
  StreamFactoryOptions stream_options{o.digests, o.max_flows, o.http_ports, o.reassembly_memory,
                                      std::nullopt};
  if (o.ips) stream_options.ips = o.policy;
  const digest_lanes::LaneIsa digest_isa = digest_lanes::lane_isa_for_setting(o.digest_lanes);
  stream_options.digest_lanes = digest_isa;
  StreamFactory streams(std::move(stream_options), lanes, set, pdq ? pdq->queue() : nullptr);

  dpdk::Eal env(eal);
  std::optional<dpdk::Dataplane> dp;
  dp.emplace(config, [&](unsigned w) { return streams.make(w); });
  std::string ports;
  for (const auto& p : dp->port_reports())
    ports += (ports.empty() ? "" : ", ") + p.info.name + " (rss " + dpdk::rss_mode_name(p.info.rss) + ")";
  const std::string description =
      std::string(o.mode == dpdk::Mode::inline_bridge ? "inline bridge" : "mirror") + " on " + ports +
      " with " + std::to_string(dp->worker_count()) + " worker lcore(s)" +
      (o.ips ? ", prevention on (block-list hits stop their upload)" : "") +
      (o.digests && digest_isa != digest_lanes::LaneIsa::none
           ? ", MD5 and SHA-1 in " + std::string(digest_lanes::lane_isa_name(digest_isa)) + " lanes"
           : "");
  std::fprintf(stderr, "dijkd: %s\n", description.c_str());

  std::unique_ptr<DaemonServices> services;
  if (o.verb == "run" && o.config) {
    const auto counters = [&] {
      CounterView v;
      for (std::size_t w = 0; w < dp->workers().size(); ++w)
        v.workers.emplace_back(dp->worker_lcores()[w], dp->workers()[w]->snapshot());
      for (auto& p : dp->port_reports()) v.ports.emplace_back(p.info.name, std::move(p.counters));
      v.daemon = daemon_counters(pdq ? &*pdq : nullptr, lanes, hits);
      v.alarms = lanes.alarms();
      return v;
    };
    const auto apply_live = [&](const Config& next) {
      retarget_set(set, next.paths.set);
      if (pdq) pdq->set_radius(static_cast<int>(next.hashing.pdq_max_distance));
    };
    services = std::make_unique<DaemonServices>(o.config_path, *o.config, set, counters, apply_live);
    services->describe_dataplane(description);
    services->start();  // binds the admin socket (chgrp needs the start's privileges)
  }
  if (o.verb == "run") drop_start_capabilities(o);
  set.watch(std::chrono::milliseconds(o.set_poll_ms));
  if (pdq) pdq->start();
  if (services) services->ready();

  dp->run([&] { return supervise(signals, timespec{}, services.get(), set); });
  if (pdq) pdq->drain_and_stop();  // every image already queued is hashed before the summary
  if (services) services->stop();
  lanes.close();  // every queued hit committed and reported (or counted unjournalled) before the summary
  print_summary(*dp, daemon_counters(pdq ? &*pdq : nullptr, lanes, hits), o.json);
  dp.reset();
  // A hit the journal could not take was still found: the exit code says so.
  return hits.all->hits() + lanes.unjournalled() > 0 ? kExitFound : kExitOk;
}

}  // namespace
}  // namespace dijk

int main(int argc, char** argv) {
  const dijk::DijkdOptions options = dijk::parse_dijkd_options(argc, argv);
  // OpenSSL loads its config once, on the first thread that hashes, and keeps per-thread state there.
  // Done here, on the main thread, it is freed at exit; on a worker lcore (EAL threads are never joined)
  // it would not be (LeakSanitizer found it).
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  try {
    if (options.verb == "run" && !options.has_ports()) return dijk::run_idle(options);
    return dijk::run_dataplane(options);
  } catch (const std::exception& e) {
    return dijk::fail(options, e.what());
  }
}
