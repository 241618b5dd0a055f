// dijk::Config: the typed form of /etc/dijk/dijk.toml. Every member's initialiser is the documented default
// (config/dijk.example.toml repeats them and a test keeps the two equal).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/field_policy.h"
#include "core/verdict.h"

namespace dijk {

enum class CaptureMode { kMirror, kInline };

struct EalConfig {
  bool hugepages = true;                // false runs DPDK with --no-huge (test rigs, vdevs)
  std::uint32_t memory_mb = 1024;       // -m / --socket-mem budget
  std::vector<std::string> extra_args;  // appended verbatim to the EAL argument list

  bool operator==(const EalConfig&) const = default;
};

struct PortConfig {
  std::string name;    // label used in stats and logs
  std::string device;  // PCI address ("0000:03:00.0") or a vdev string ("net_pcap0,iface=eth0")

  bool operator==(const PortConfig&) const = default;
};

struct DataplaneConfig {
  CaptureMode mode = CaptureMode::kMirror;
  std::vector<std::uint32_t> lcores = {1};
  std::vector<PortConfig> ports;
  std::vector<std::uint16_t> http_ports = {};  // server ports followed; empty: every port
  // Prevention (inline mode only): a file on a list [policy] says to "block" is stopped on the bridge
  // (its last segment dropped, both ends reset). Off: the bridge forwards every frame, hits are reported.
  bool ips = false;
  std::uint64_t flow_table_cap = 1'048'576;   // concurrent TCP flows per appliance
  std::uint64_t reassembly_memory_mb = 1024;  // out-of-order and in-flight bytes, all lcores together
  EalConfig eal;

  bool operator==(const DataplaneConfig&) const = default;
};

struct HashingConfig {
  std::vector<std::string> algorithms = {"md5", "sha1", "sha256"};
  bool pdq = true;
  std::uint64_t max_pixels = 50'000'000;  // larger images are hashed exactly but not decoded for PDQ
  std::uint64_t max_file_size_mb = 256;   // larger files are counted and skipped
  std::uint32_t pdq_max_distance = 31;    // Hamming distance that still counts as a PDQ match
  // MD5 and SHA-1 of many files at once in vector lanes (wire, scan, watcher): "auto" (the widest the CPU
  // has, or as DIJK_DIGEST_LANES says), "avx512", "avx2", or "off" (one file at a time, OpenSSL).
  std::string digest_lanes = "auto";

  bool operator==(const HashingConfig&) const = default;
};

struct PathsConfig {
  std::string set =
      "/var/lib/dijk/sets/current.set";  // the feed installs current.set in this file's directory
  std::string journal = "/var/lib/dijk/journal";
  std::string state = "/var/lib/dijk/state";

  bool operator==(const PathsConfig&) const = default;
};

struct FeedConfig {
  std::string url;       // empty: no feed (the set is imported by hand)
  std::string name;      // the feed's name, as the root key's delegation names it
  std::string root_key;  // pinned root public key (root.pub from `dijk-hotline keygen`)
  std::string ca;        // CA bundle for the feed's TLS; empty uses the system store
  std::string client_cert;
  std::string client_key;
  std::uint32_t interval_s = 300;
  // Deltas go live as an overlay over the installed set; one with this many entries is merged into a new
  // set file in the background (docs/feed.md).
  std::uint32_t merge_overlay_at = 65536;
  // The merge pauses this many times as long as each step took, leaving the memory bus to the lookups:
  // 2 cuts its pressure to a third for a merge three times as long; 0 merges flat out.
  double merge_pause_ratio = 2.0;

  bool operator==(const FeedConfig&) const = default;
};

// A hit journal besides dijkd's ("wire", in paths.journal) that dijk-control reports, e.g. the check API's.
struct JournalConfig {
  std::string name;  // 1 to 32 of [a-z0-9-], unique, not "wire"
  std::string dir;   // the journal's directory

  bool operator==(const JournalConfig&) const = default;
};

// A directory tree dijk-watch checks as files are written into it ([[scan.watch]]).
struct WatchedTree {
  std::string path;                  // absolute; watched recursively
  std::vector<std::string> exclude;  // globs as `dijkctl scan --exclude` takes them (e.g. "*.part")

  bool operator==(const WatchedTree&) const = default;
};

// [scan]: files at rest. dijk-watch hashes each file written into a watched tree; `dijkctl scan --report`
// and dijk-watch journal their hits into [[reporting.journals]] entries.
struct ScanConfig {
  std::vector<WatchedTree> watch;
  std::string journal = "watch";  // the [[reporting.journals]] entry dijk-watch writes to
  std::uint32_t settle_ms = 500;  // a file is read this long after its last close or rename
  std::string backend = "auto";   // "auto" (fanotify, else inotify), "fanotify" or "inotify"
  // Where dijk-watch keeps how far it had checked: after a restart, files changed since are checked.
  std::string checkpoint = "/var/lib/dijk/state/watch-checkpoint";
  // The fingerprint catalog (docs/catalog.md): empty, none. With a folder, dijk-watch records every file
  // it reads and hunts the catalog for what each new set version adds; `dijkctl scan --catalog` uses it.
  std::string catalog;

  bool operator==(const ScanConfig&) const = default;
};

struct ReportingConfig {
  std::string url;  // empty: hits stay in the journal only
  std::string client_cert;
  std::string client_key;
  std::string ca;
  std::uint32_t batch_size = 100;
  std::uint32_t alarm_after_s = 3600;  // hits waiting and no delivery for this long: the reporter alarm
  std::uint32_t heartbeat_s = 300;  // the appliance's heartbeat goes alone when no report went for this long
  PrivacyPolicy privacy;
  std::vector<JournalConfig> journals;  // [[reporting.journals]]; "wire" is always reported

  bool operator==(const ReportingConfig&) const = default;
};

struct AdminConfig {
  std::string socket = "/run/dijk/dijkd.sock";
  std::string control_socket = "/run/dijk/control.sock";
  std::string watch_socket = "/run/dijk/watch.sock";        // dijk-watch's
  std::string check_socket = "/run/dijk/check-admin.sock";  // dijk-check's (its API has check_api.socket)
  std::string group = "dijk";

  bool operator==(const AdminConfig&) const = default;
};

struct MetricsConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:9475";          // dijkd's endpoint
  std::string control_listen = "127.0.0.1:9476";  // dijk-control's endpoint
  std::string watch_listen = "127.0.0.1:9478";    // dijk-watch's endpoint

  bool operator==(const MetricsConfig&) const = default;
};

// A bearer token a TCP client of the check API presents; the file holds the secret (one line), so the
// config itself can be world-readable.
struct CheckApiToken {
  std::string name;  // who the token is for: the rate limit and the logs use it
  std::string token_file;

  bool operator==(const CheckApiToken&) const = default;
};

// dijk-check, the local check API (docs/check-api.md).
struct CheckApiConfig {
  std::string socket = "/run/dijk-check/check.sock";  // empty: no unix socket
  std::string socket_group = "dijk-api";              // who may connect to it (mode 0660)
  std::string listen;                                 // "HOST:PORT" for TCP with bearer tokens; empty: none
  std::vector<CheckApiToken> tokens;
  std::uint32_t max_body_mb = 64;        // larger bodies get 413 before they are read
  std::uint32_t rate_per_client = 100;   // requests a second per client (token, or uid on the socket)
  std::uint32_t header_timeout_s = 10;   // the request line and headers must be in by then
  std::uint32_t idle_timeout_s = 30;     // a connection silent this long is closed
  std::uint32_t threads = 2;             // polling threads per listener, and as many check workers
  std::uint32_t max_connections = 1024;  // open connections, both listeners together
  std::uint32_t max_hashes = 10000;      // hashes in one POST /v1/hashes
  std::string journal = "/var/lib/dijk/journal-api";
  std::string metrics_listen = "127.0.0.1:9477";
  // TLS on the TCP listener (PEM files). With tls_client_ca every TCP client must present a certificate
  // signed by it, which then identifies the client instead of a bearer token.
  std::string tls_cert, tls_key, tls_client_ca;
  std::vector<std::pair<std::string, std::string>> tls_client_names;  // certificate CN -> client name

  bool operator==(const CheckApiConfig&) const = default;
};

// dijk-check's ICAP service (RFC 3507 REQMOD) for proxies: docs/icap.md. Files inside a request are capped
// by check_api.max_body_mb and checked on check_api.threads.
struct IcapConfig {
  std::string listen;                  // "HOST:PORT", e.g. "127.0.0.1:1344"; empty: no ICAP
  std::string service = "reqmod";      // the proxy's URI: icap://HOST:PORT/reqmod
  std::uint32_t preview_bytes = 4096;  // the Preview advertised in OPTIONS
  std::uint32_t max_connections = 256;
  std::uint32_t idle_timeout_s = 300;    // between requests on a kept-alive connection
  std::uint32_t request_timeout_s = 60;  // one request's bytes, from its first
  std::string block_page;                // HTML file the 403 carries; empty: a built-in page

  bool operator==(const IcapConfig&) const = default;
};

// What a hit on each list means for an upload checked through the API (and ICAP): [policy].
struct PolicyConfig {
  Verdict default_action = Verdict::block;
  std::vector<PolicyRule> lists;       // [policy.lists] name = "allow" | "report" | "block"
  std::vector<PolicyRule> categories;  // [policy.categories] A1 = "block"

  bool operator==(const PolicyConfig&) const = default;
};

struct Config {
  std::string appliance_id = "dijk-unnamed";
  DataplaneConfig dataplane;
  HashingConfig hashing;
  PathsConfig paths;
  FeedConfig feed;
  ReportingConfig reporting;
  AdminConfig admin;
  MetricsConfig metrics;
  CheckApiConfig check_api;
  IcapConfig icap;
  PolicyConfig policy;
  ScanConfig scan;

  bool operator==(const Config&) const = default;
};

const char* to_string(CaptureMode m);

inline constexpr const char* kDefaultConfigPath = "/etc/dijk/dijk.toml";

// Where the reporter (dijk-control) keeps the journal position the inbox has acknowledged, and where the
// journal's writer (dijkd) reads it to know which segments retention may delete.
inline std::string reporter_ack_state_path(const Config& c) {
  return c.paths.state + "/reporter-ack";
}

}  // namespace dijk
