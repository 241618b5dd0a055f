#include "config/schema/loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "config/schema/journals.h"
#include "config/schema/tls_material.h"
#include "core/field_policy.h"
#include "core/verdict.h"

namespace dijk {

const char* to_string(CaptureMode m) {
  return m == CaptureMode::kInline ? "inline" : "mirror";
}

std::string ConfigError::to_string() const {
  std::ostringstream out;
  out << file;
  if (line != 0) out << ':' << line << ':' << column;
  out << ": error: " << message;
  return out.str();
}

std::string LoadResult::error_text() const {
  std::string text;
  for (const auto& e : errors) text += e.to_string() + "\n";
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string join_key(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

bool is_absolute_path(const std::string& s) {
  return !s.empty() && s.front() == '/';
}

// Walks the parsed document table by table, copying checked values into the Config and recording an error
// for everything else. Missing keys keep their defaults.
class SchemaReader {
 public:
  SchemaReader(std::string file, std::vector<ConfigError>& errors)
      : file_(std::move(file)), errors_(errors) {}

  void error_at(const toml::source_region& where, std::string message) {
    errors_.push_back(ConfigError{file_, where.begin.line, where.begin.column, std::move(message)});
  }

  void check_keys(const toml::table& t, std::string_view prefix,
                  std::initializer_list<std::string_view> known) {
    for (auto&& [key, value] : t) {
      (void)value;
      const std::string_view k = key.str();
      if (std::find(known.begin(), known.end(), k) != known.end()) continue;
      std::string message = "unknown key '" + join_key(prefix, k) + "'";
      std::optional<std::string_view> best;
      std::size_t best_distance = std::numeric_limits<std::size_t>::max();
      for (const auto candidate : known) {
        const std::size_t d = edit_distance(k, candidate);
        if (d < best_distance) {
          best_distance = d;
          best = candidate;
        }
      }
      const std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(3, k.size() / 3));
      if (best && best_distance <= allowed) message += ", did you mean '" + join_key(prefix, *best) + "'?";
      error_at(key.source(), std::move(message));
    }
  }

  const toml::table* table(const toml::table& t, std::string_view prefix, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return nullptr;
    if (const auto* sub = n->as_table()) return sub;
    error_at(n->source(), "'" + join_key(prefix, key) + "' must be a table, not " + type_name(*n));
    return nullptr;
  }

  template <typename Check>
  void string(const toml::table& t, std::string_view prefix, std::string_view key, std::string& out,
              Check check) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return;
    const auto* s = n->as_string();
    if (s == nullptr) {
      type_error(*n, prefix, key, "a string");
      return;
    }
    if (auto problem = check(s->get())) {
      error_at(n->source(), "'" + join_key(prefix, key) + "' " + *problem);
      return;
    }
    out = s->get();
  }

  void string(const toml::table& t, std::string_view prefix, std::string_view key, std::string& out) {
    string(t, prefix, key, out, [](const std::string&) { return std::optional<std::string>(); });
  }

  void boolean(const toml::table& t, std::string_view prefix, std::string_view key, bool& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return;
    if (const auto* b = n->as_boolean()) {
      out = b->get();
    } else {
      type_error(*n, prefix, key, "a boolean (true or false)");
    }
  }

  template <typename Int>
  void integer(const toml::table& t, std::string_view prefix, std::string_view key, Int& out,
               std::int64_t min, std::int64_t max) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return;
    if (auto v = checked_integer(*n, join_key(prefix, key), min, max)) out = static_cast<Int>(*v);
  }

  // A fraction or a whole number: TOML writes 2 and 2.0 differently, a person means the same.
  void number(const toml::table& t, std::string_view prefix, std::string_view key, double& out, double min,
              double max) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return;
    double v = 0;
    if (const auto* f = n->as_floating_point()) {
      v = f->get();
    } else if (const auto* i = n->as_integer()) {
      v = static_cast<double>(i->get());
    } else {
      type_error(*n, prefix, key, "a number");
      return;
    }
    if (!(v >= min && v <= max)) {  // also refuses nan
      std::ostringstream message;
      message << "'" << join_key(prefix, key) << "' must be between " << min << " and " << max << ", got "
              << v;
      error_at(n->source(), message.str());
      return;
    }
    out = v;
  }

  template <typename Enum>
  void enumeration(const toml::table& t, std::string_view prefix, std::string_view key, Enum& out,
                   std::initializer_list<std::pair<std::string_view, Enum>> choices) {
    enumeration_of(t, prefix, key, out, choices);
  }

  // `choices`: any range of (spelling, value) pairs, e.g. a vocabulary table from core/.
  template <typename Enum, typename Choices>
  void enumeration_of(const toml::table& t, std::string_view prefix, std::string_view key, Enum& out,
                      const Choices& choices) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return;
    const auto* s = n->as_string();
    if (s == nullptr) {
      type_error(*n, prefix, key, "a string");
      return;
    }
    std::string names;
    for (const auto& [name, value] : choices) {
      if (name == s->get()) {
        out = value;
        return;
      }
      names += (names.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    }
    error_at(n->source(),
             "'" + join_key(prefix, key) + "' must be one of " + names + ", got \"" + s->get() + "\"");
  }

  const toml::array* array(const toml::table& t, std::string_view prefix, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return nullptr;
    if (const auto* a = n->as_array()) return a;
    type_error(*n, prefix, key, "an array");
    return nullptr;
  }

  std::optional<std::int64_t> checked_integer(const toml::node& n, const std::string& name, std::int64_t min,
                                              std::int64_t max) {
    const auto* i = n.as_integer();
    if (i == nullptr) {
      error_at(n.source(), "'" + name + "' must be an integer, not " + type_name(n));
      return std::nullopt;
    }
    if (i->get() < min || i->get() > max) {
      error_at(n.source(), "'" + name + "' must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", got " + std::to_string(i->get()));
      return std::nullopt;
    }
    return i->get();
  }

 private:
  void type_error(const toml::node& n, std::string_view prefix, std::string_view key,
                  std::string_view wanted) {
    error_at(n.source(),
             "'" + join_key(prefix, key) + "' must be " + std::string(wanted) + ", not " + type_name(n));
  }

  std::string file_;
  std::vector<ConfigError>& errors_;
};

using Problem = std::optional<std::string>;

Problem absolute_path(const std::string& s) {
  if (is_absolute_path(s)) return std::nullopt;
  return "must be an absolute path, got \"" + s + "\"";
}

Problem absolute_path_or_empty(const std::string& s) {
  return s.empty() ? std::nullopt : absolute_path(s);
}

// https:// only, loopback included: the feed and report clients allow no other protocol (libcurl's
// CURLOPT_PROTOCOLS_STR "https"), so the validator refuses what they would refuse at run time.
Problem https_url(const std::string& s) {
  if (s.empty()) return std::nullopt;
  static const std::regex https(R"(^https://[^\s/]+(/\S*)?$)");
  if (std::regex_match(s, https)) return std::nullopt;
  return "must be an https:// URL (the only protocol the feed and report clients speak), got \"" + s + "\"";
}

Problem appliance_id(const std::string& s) {
  static const std::regex re(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)");
  if (std::regex_match(s, re)) return std::nullopt;
  return "must be 1 to 64 characters of letters, digits, '.', '_' or '-', got \"" + s + "\"";
}

Problem group_name(const std::string& s) {
  static const std::regex re(R"(^[a-z_][a-z0-9_-]{0,31}$)");
  if (std::regex_match(s, re)) return std::nullopt;
  return "must be a group name (lower case, digits, '_' or '-'), got \"" + s + "\"";
}

Problem listen_address(const std::string& s) {
  static const std::regex re(R"(^(\d+\.\d+\.\d+\.\d+|localhost|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$)");
  std::smatch m;
  if (std::regex_match(s, m, re) && std::stoul(m[2].str()) <= 65535) return std::nullopt;
  return "must be HOST:PORT (e.g. \"127.0.0.1:9475\" or \"[::1]:9475\"), got \"" + s + "\"";
}

Problem port_device(const std::string& s) {
  static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
  static const std::regex vdev(R"(^net_[a-z0-9_]+(,[^\s,=]+=[^\s,]*)*$)");
  if (std::regex_match(s, pci) || std::regex_match(s, vdev)) return std::nullopt;
  return "must be a PCI address (\"0000:03:00.0\") or a DPDK vdev (\"net_pcap0,iface=eth0\"), got \"" + s +
         "\"";
}

// An array of distinct integers in [min, max] (lcores, ports), non-empty unless `empty` allows it (an empty
// list then means something, e.g. http_ports = [] is every port). Every bad element is reported; `out`
// changes only when the whole array is good.
enum class EmptyList { refused, allowed };
template <typename T>
void read_distinct_integers(SchemaReader& r, const toml::table& t, const std::string& p,
                            const std::string& key, const std::string& noun, std::int64_t min,
                            std::int64_t max, std::vector<T>& out, EmptyList empty = EmptyList::refused) {
  const auto* a = r.array(t, p, key);
  if (a == nullptr) return;
  const std::string name = p + "." + key;
  std::vector<T> values;
  bool good = true;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto v = r.checked_integer(*a->get(i), name + "[" + std::to_string(i) + "]", min, max);
    if (!v) {
      good = false;
    } else if (std::find(values.begin(), values.end(), *v) != values.end()) {
      r.error_at(a->get(i)->source(), "'" + name + "' lists " + noun + " " + std::to_string(*v) + " twice");
      good = false;
    } else {
      values.push_back(static_cast<T>(*v));
    }
  }
  if (a->empty() && empty == EmptyList::refused) {
    r.error_at(a->source(), "'" + name + "' must list at least one " + noun);
  } else if (good) {
    out = std::move(values);
  }
}

// Each table of an array of tables ([[prefix.key]]) with its name for messages ("prefix.key[i]"); an element
// that is no table is an error saying what the tables hold.
template <typename Fn>
void for_each_table(SchemaReader& r, const toml::table& t, const std::string& prefix, std::string_view key,
                    std::string_view holds, Fn fn) {
  const auto* a = r.array(t, prefix, key);
  if (a == nullptr) return;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string name = prefix + "." + std::string(key) + "[" + std::to_string(i) + "]";
    const auto* table = a->get(i)->as_table();
    if (table == nullptr) {
      r.error_at(a->get(i)->source(), "'" + name + "' must be a table with " + std::string(holds));
      continue;
    }
    fn(*table, name, i);
  }
}

void read_dataplane(SchemaReader& r, const toml::table& t, DataplaneConfig& d) {
  const std::string p = "dataplane";
  r.check_keys(
      t, p,
      {"mode", "lcores", "ports", "http_ports", "ips", "flow_table_cap", "reassembly_memory_mb", "eal"});
  r.enumeration(t, p, "mode", d.mode, {{"mirror", CaptureMode::kMirror}, {"inline", CaptureMode::kInline}});
  // lcore 0 is the main (control) lcore; workers are the others.
  read_distinct_integers(r, t, p, "lcores", "lcore", 1, 1023, d.lcores);
  read_distinct_integers(r, t, p, "http_ports", "port", 1, 65535, d.http_ports, EmptyList::allowed);
  r.boolean(t, p, "ips", d.ips);
  r.integer(t, p, "flow_table_cap", d.flow_table_cap, 1024, std::int64_t{1} << 28);
  r.integer(t, p, "reassembly_memory_mb", d.reassembly_memory_mb, 16, std::int64_t{1} << 20);
  std::set<std::string> names;
  for_each_table(r, t, p, "ports", "name and device",
                 [&](const toml::table& port, const std::string& name, std::size_t i) {
                   r.check_keys(port, name, {"name", "device"});
                   PortConfig pc;
                   r.string(port, name, "name", pc.name, [](const std::string& s) -> Problem {
                     if (s.empty()) return "must not be empty";
                     return std::nullopt;
                   });
                   r.string(port, name, "device", pc.device, port_device);
                   if (port.get("device") == nullptr)
                     r.error_at(port.source(), "'" + name + "' has no device");
                   if (pc.name.empty()) pc.name = "port" + std::to_string(i);
                   if (!names.insert(pc.name).second) {
                     r.error_at(port.source(), "'" + name + "' reuses the port name \"" + pc.name + "\"");
                   }
                   d.ports.push_back(std::move(pc));
                 });
  if (const auto* eal = r.table(t, p, "eal")) {
    const std::string e = "dataplane.eal";
    r.check_keys(*eal, e, {"hugepages", "memory_mb", "extra_args"});
    r.boolean(*eal, e, "hugepages", d.eal.hugepages);
    r.integer(*eal, e, "memory_mb", d.eal.memory_mb, 64, std::int64_t{1} << 20);
    if (const auto* a = r.array(*eal, e, "extra_args")) {
      std::vector<std::string> args;
      for (std::size_t i = 0; i < a->size(); ++i) {
        if (const auto* s = a->get(i)->as_string()) {
          args.push_back(s->get());
        } else {
          r.error_at(a->get(i)->source(), "'" + e + ".extra_args[" + std::to_string(i) +
                                              "]' must be a string, not " + type_name(*a->get(i)));
        }
      }
      d.eal.extra_args = std::move(args);
    }
  }
  if (d.mode == CaptureMode::kInline && d.ports.size() != 2) {
    const toml::node* mode = t.get("mode");
    r.error_at(mode != nullptr ? mode->source() : t.source(),
               "'dataplane.mode' = \"inline\" needs exactly 2 ports (one each side of the bridge), found " +
                   std::to_string(d.ports.size()));
  }
  if (d.ips && d.mode != CaptureMode::kInline) {
    const toml::node* ips = t.get("ips");
    r.error_at(ips != nullptr ? ips->source() : t.source(),
               "'dataplane.ips' = true needs 'dataplane.mode' = \"inline\": a mirror port sees copies and "
               "cannot stop an upload");
  }
}

void read_hashing(SchemaReader& r, const toml::table& t, HashingConfig& h) {
  const std::string p = "hashing";
  r.check_keys(t, p,
               {"algorithms", "pdq", "max_pixels", "max_file_size_mb", "pdq_max_distance", "digest_lanes"});
  if (const auto* a = r.array(t, p, "algorithms")) {
    std::vector<std::string> algorithms;
    bool good = true;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const auto* s = a->get(i)->as_string();
      const std::string name = p + ".algorithms[" + std::to_string(i) + "]";
      if (s == nullptr) {
        r.error_at(a->get(i)->source(), "'" + name + "' must be a string, not " + type_name(*a->get(i)));
        good = false;
      } else if (s->get() != "md5" && s->get() != "sha1" && s->get() != "sha256") {
        r.error_at(s->source(),
                   "'" + name + "' must be one of \"md5\", \"sha1\", \"sha256\", got \"" + s->get() + "\"");
        good = false;
      } else if (std::find(algorithms.begin(), algorithms.end(), s->get()) != algorithms.end()) {
        r.error_at(s->source(), "'hashing.algorithms' lists \"" + s->get() + "\" twice");
        good = false;
      } else {
        algorithms.push_back(s->get());
      }
    }
    if (a->empty()) {
      r.error_at(a->source(), "'hashing.algorithms' must list at least one algorithm");
    } else if (good) {
      h.algorithms = std::move(algorithms);
    }
  }
  r.boolean(t, p, "pdq", h.pdq);
  r.integer(t, p, "max_pixels", h.max_pixels, 1, std::int64_t{1} << 32);
  r.integer(t, p, "max_file_size_mb", h.max_file_size_mb, 1, std::int64_t{1} << 20);
  r.integer(t, p, "pdq_max_distance", h.pdq_max_distance, 0, 128);
  r.enumeration(t, p, "digest_lanes", h.digest_lanes,
                {{"auto", std::string("auto")},
                 {"avx512", std::string("avx512")},
                 {"avx2", std::string("avx2")},
                 {"off", std::string("off")}});
}

void read_paths(SchemaReader& r, const toml::table& t, PathsConfig& paths) {
  const std::string p = "paths";
  r.check_keys(t, p, {"set", "journal", "state"});
  r.string(t, p, "set", paths.set, absolute_path);
  r.string(t, p, "journal", paths.journal, absolute_path);
  r.string(t, p, "state", paths.state, absolute_path);
}

void check_cert_pair(SchemaReader& r, const toml::table& t, std::string_view prefix, const std::string& cert,
                     const std::string& key) {
  if (cert.empty() == key.empty()) return;
  const char* present = cert.empty() ? "client_key" : "client_cert";
  const char* missing = cert.empty() ? "client_cert" : "client_key";
  r.error_at(t.get(present)->source(), "'" + join_key(prefix, present) + "' is set but '" +
                                           join_key(prefix, missing) + "' is not: they go together");
}

void read_feed(SchemaReader& r, const toml::table& t, FeedConfig& f) {
  const std::string p = "feed";
  r.check_keys(t, p,
               {"url", "name", "root_key", "ca", "client_cert", "client_key", "interval_s",
                "merge_overlay_at", "merge_pause_ratio"});
  r.string(t, p, "url", f.url, https_url);
  r.string(t, p, "name", f.name);
  r.string(t, p, "root_key", f.root_key, absolute_path_or_empty);
  r.string(t, p, "ca", f.ca, absolute_path_or_empty);
  r.string(t, p, "client_cert", f.client_cert, absolute_path_or_empty);
  r.string(t, p, "client_key", f.client_key, absolute_path_or_empty);
  r.integer(t, p, "interval_s", f.interval_s, 10, 86400);
  r.integer(t, p, "merge_overlay_at", f.merge_overlay_at, 1024, 100'000'000);
  r.number(t, p, "merge_pause_ratio", f.merge_pause_ratio, 0, 100);
  if (!f.url.empty() && f.root_key.empty()) {
    r.error_at(t.get("url")->source(),
               "'feed.url' is set but 'feed.root_key' is not: every feed update is "
               "verified against the pinned root key");
  }
  if (!f.url.empty() && f.name.empty()) {
    r.error_at(t.get("url")->source(),
               "'feed.url' is set but 'feed.name' is not: the root key delegates signing for one named feed");
  }
  if (t.get("client_cert") != nullptr || t.get("client_key") != nullptr) {
    check_cert_pair(r, t, p, f.client_cert, f.client_key);
  }
}

// [[reporting.journals]]: name and dir each, names unique and never "wire" (dijkd's, always reported).
void read_journals(SchemaReader& r, const toml::table& t, const std::string& p,
                   std::vector<JournalConfig>& out) {
  std::set<std::string> names;
  for_each_table(r, t, p, "journals", "name and dir",
                 [&](const toml::table& entry, const std::string& name, std::size_t) {
                   r.check_keys(entry, name, {"name", "dir"});
                   JournalConfig j;
                   r.string(entry, name, "name", j.name, [](const std::string& s) -> Problem {
                     if (s == kWireJournal)
                       return "must not be \"wire\" (dijkd's journal in paths.journal, always reported)";
                     if (!valid_journal_name(s)) return "must be 1 to 32 of a-z, 0-9 and '-'";
                     return std::nullopt;
                   });
                   r.string(entry, name, "dir", j.dir, absolute_path);
                   if (entry.get("name") == nullptr) r.error_at(entry.source(), "'" + name + "' has no name");
                   if (entry.get("dir") == nullptr) r.error_at(entry.source(), "'" + name + "' has no dir");
                   if (!j.name.empty() && !names.insert(j.name).second) {
                     r.error_at(entry.source(), "'" + name + "' reuses the journal name \"" + j.name + "\"");
                   }
                   out.push_back(std::move(j));
                 });
}

std::vector<std::string> read_strings(SchemaReader& r, const toml::array& a, const std::string& name) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (const auto* s = a.get(i)->as_string()) {
      out.push_back(s->get());
    } else {
      r.error_at(a.get(i)->source(),
                 "'" + name + "[" + std::to_string(i) + "]' must be a string, not " + type_name(*a.get(i)));
    }
  }
  return out;
}

void read_scan(SchemaReader& r, const toml::table& t, ScanConfig& s) {
  const std::string p = "scan";
  r.check_keys(t, p, {"watch", "journal", "settle_ms", "checkpoint", "backend", "catalog"});
  r.string(t, p, "catalog", s.catalog, absolute_path_or_empty);
  r.string(t, p, "backend", s.backend, [](const std::string& v) -> Problem {
    if (v != "auto" && v != "fanotify" && v != "inotify")
      return "must be \"auto\", \"fanotify\" or \"inotify\"";
    return std::nullopt;
  });
  r.string(t, p, "journal", s.journal, [](const std::string& v) -> Problem {
    if (!valid_journal_name(v))
      return "must name a [[reporting.journals]] entry (1 to 32 of a-z, 0-9 and '-')";
    return std::nullopt;
  });
  r.integer(t, p, "settle_ms", s.settle_ms, 0, 60'000);
  r.string(t, p, "checkpoint", s.checkpoint, absolute_path);
  std::set<std::string> paths;
  for_each_table(r, t, p, "watch", "a path",
                 [&](const toml::table& entry, const std::string& name, std::size_t) {
                   r.check_keys(entry, name, {"path", "exclude"});
                   WatchedTree w;
                   r.string(entry, name, "path", w.path, absolute_path);
                   if (entry.get("path") == nullptr) r.error_at(entry.source(), "'" + name + "' has no path");
                   if (const auto* a = r.array(entry, name, "exclude"))
                     w.exclude = read_strings(r, *a, name + ".exclude");
                   if (!w.path.empty() && !paths.insert(w.path).second)
                     r.error_at(entry.source(), "'" + name + "' watches " + w.path + " twice");
                   s.watch.push_back(std::move(w));
                 });
}

void read_reporting(SchemaReader& r, const toml::table& t, ReportingConfig& rep) {
  const std::string p = "reporting";
  r.check_keys(t, p,
               {"url", "client_cert", "client_key", "ca", "batch_size", "alarm_after_s", "heartbeat_s",
                "privacy", "journals"});
  r.string(t, p, "url", rep.url, https_url);
  r.string(t, p, "client_cert", rep.client_cert, absolute_path_or_empty);
  r.string(t, p, "client_key", rep.client_key, absolute_path_or_empty);
  r.string(t, p, "ca", rep.ca, absolute_path_or_empty);
  r.integer(t, p, "batch_size", rep.batch_size, 1, 10000);
  r.integer(t, p, "alarm_after_s", rep.alarm_after_s, 60, 30 * 86400);
  r.integer(t, p, "heartbeat_s", rep.heartbeat_s, 5, 86400);
  if (t.get("client_cert") != nullptr || t.get("client_key") != nullptr) {
    check_cert_pair(r, t, p, rep.client_cert, rep.client_key);
  }
  read_journals(r, t, p, rep.journals);
  if (const auto* priv = r.table(t, p, "privacy")) {
    const std::string q = "reporting.privacy";
    r.check_keys(*priv, q, {"client_ip", "url", "filename", "hmac_key"});
    r.enumeration_of(*priv, q, "client_ip", rep.privacy.client_ip, kFieldPolicySpellings);
    r.enumeration_of(*priv, q, "url", rep.privacy.url, kFieldPolicySpellings);
    r.enumeration_of(*priv, q, "filename", rep.privacy.filename, kFieldPolicySpellings);
    r.string(*priv, q, "hmac_key", rep.privacy.hmac_key, absolute_path_or_empty);
    if (rep.privacy.any_hmac() && rep.privacy.hmac_key.empty()) {
      r.error_at(priv->source(),
                 "'reporting.privacy.hmac_key' must be set when a field's policy is \"hmac\"");
    }
  }
}

void read_admin(SchemaReader& r, const toml::table& t, AdminConfig& a) {
  const std::string p = "admin";
  r.check_keys(t, p, {"socket", "control_socket", "watch_socket", "check_socket", "group"});
  r.string(t, p, "socket", a.socket, absolute_path);
  r.string(t, p, "control_socket", a.control_socket, absolute_path);
  r.string(t, p, "watch_socket", a.watch_socket, absolute_path);
  r.string(t, p, "check_socket", a.check_socket, absolute_path);
  r.string(t, p, "group", a.group, group_name);
}

void read_metrics(SchemaReader& r, const toml::table& t, MetricsConfig& m) {
  const std::string p = "metrics";
  r.check_keys(t, p, {"enabled", "listen", "control_listen", "watch_listen"});
  r.boolean(t, p, "enabled", m.enabled);
  r.string(t, p, "listen", m.listen, listen_address);
  r.string(t, p, "control_listen", m.control_listen, listen_address);
  r.string(t, p, "watch_listen", m.watch_listen, listen_address);
}

// TLS on check_api's TCP listener: the keys' shapes, how they go together, and the files themselves
// (readable, parsed, the key the certificate's), so a bad setup is refused here rather than at start.
void read_check_api_tls(SchemaReader& r, const toml::table& t, CheckApiConfig& a) {
  const std::string p = "check_api";
  r.string(t, p, "tls_cert", a.tls_cert, absolute_path_or_empty);
  r.string(t, p, "tls_key", a.tls_key, absolute_path_or_empty);
  r.string(t, p, "tls_client_ca", a.tls_client_ca, absolute_path_or_empty);
  if (const auto* names = r.table(t, p, "tls_client_names")) {
    for (auto&& [cn, value] : *names) {
      std::pair<std::string, std::string> entry{std::string(cn.str()), ""};
      r.string(*names, p + ".tls_client_names", cn.str(), entry.second, [](const std::string& s) -> Problem {
        static const std::regex re(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)");
        if (std::regex_match(s, re)) return std::nullopt;
        return "must be 1 to 64 characters of letters, digits, '.', '_' or '-', got \"" + s + "\"";
      });
      if (!entry.second.empty()) a.tls_client_names.push_back(std::move(entry));
    }
  }
  const auto at = [&t](const char* key) { return t.get(key)->source(); };
  if (a.tls_cert.empty() != a.tls_key.empty()) {
    const char* present = a.tls_cert.empty() ? "tls_key" : "tls_cert";
    const char* missing = a.tls_cert.empty() ? "tls_cert" : "tls_key";
    r.error_at(at(present), "'check_api." + std::string(present) + "' is set but 'check_api." + missing +
                                "' is not: they go together");
    return;
  }
  if (a.tls_cert.empty()) {
    if (!a.tls_client_ca.empty()) {
      r.error_at(at("tls_client_ca"),
                 "'check_api.tls_client_ca' is set but 'check_api.tls_cert' and 'check_api.tls_key' are not: "
                 "client certificates are asked for in a TLS handshake");
    }
  } else if (const auto* l = t.get("listen");
             l == nullptr || (l->as_string() && l->as_string()->get().empty())) {
    r.error_at(at("tls_cert"),
               "'check_api.tls_cert' is set but 'check_api.listen' is not: TLS is for the TCP listener (the "
               "unix socket is guarded by its group)");
  }
  if (!a.tls_client_names.empty() && a.tls_client_ca.empty()) {
    r.error_at(at("tls_client_names"),
               "'check_api.tls_client_names' is set but 'check_api.tls_client_ca' is not: names are given to "
               "client certificates");
  }
  if (a.tls_cert.empty() || !is_absolute_path(a.tls_cert) || !is_absolute_path(a.tls_key)) return;
  try {
    (void)TlsMaterial::load(a.tls_cert, a.tls_key, a.tls_client_ca);
  } catch (const TlsMaterialError& e) {
    r.error_at(at(e.key().c_str()), "'check_api." + e.key() + "': " + e.what());
  }
}

void read_check_api(SchemaReader& r, const toml::table& t, CheckApiConfig& a) {
  const std::string p = "check_api";
  r.check_keys(t, p,
               {"socket", "socket_group", "listen", "tokens", "max_body_mb", "rate_per_client",
                "header_timeout_s", "idle_timeout_s", "threads", "max_connections", "max_hashes", "journal",
                "metrics_listen", "tls_cert", "tls_key", "tls_client_ca", "tls_client_names"});
  r.string(t, p, "socket", a.socket, absolute_path_or_empty);
  r.string(t, p, "socket_group", a.socket_group,
           [](const std::string& s) { return s.empty() ? Problem() : group_name(s); });
  r.string(t, p, "listen", a.listen,
           [](const std::string& s) { return s.empty() ? Problem() : listen_address(s); });
  r.integer(t, p, "max_body_mb", a.max_body_mb, 1, 1024);
  r.integer(t, p, "rate_per_client", a.rate_per_client, 1, 1'000'000);
  r.integer(t, p, "header_timeout_s", a.header_timeout_s, 1, 600);
  r.integer(t, p, "idle_timeout_s", a.idle_timeout_s, 1, 3600);
  r.integer(t, p, "threads", a.threads, 1, 256);
  r.integer(t, p, "max_connections", a.max_connections, 16, 1'000'000);
  r.integer(t, p, "max_hashes", a.max_hashes, 1, 1'000'000);
  r.string(t, p, "journal", a.journal, absolute_path);
  r.string(t, p, "metrics_listen", a.metrics_listen,
           [](const std::string& s) { return s.empty() ? Problem() : listen_address(s); });
  if (const auto* arr = r.array(t, p, "tokens")) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string name = p + ".tokens[" + std::to_string(i) + "]";
      const auto* tok = arr->get(i)->as_table();
      if (tok == nullptr) {
        r.error_at(arr->get(i)->source(), "'" + name + "' must be a table with name and token_file");
        continue;
      }
      r.check_keys(*tok, name, {"name", "token_file"});
      CheckApiToken ct;
      r.string(*tok, name, "name", ct.name, [](const std::string& s) -> Problem {
        static const std::regex re(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)");
        if (std::regex_match(s, re)) return std::nullopt;
        return "must be 1 to 64 characters of letters, digits, '.', '_' or '-', got \"" + s + "\"";
      });
      r.string(*tok, name, "token_file", ct.token_file, absolute_path);
      if (tok->get("name") == nullptr || tok->get("token_file") == nullptr) {
        r.error_at(tok->source(), "'" + name + "' needs both name and token_file");
        continue;
      }
      if (!ct.name.empty() && !names.insert(ct.name).second) {
        r.error_at(tok->source(), "'" + name + "' reuses the token name \"" + ct.name + "\"");
      }
      a.tokens.push_back(std::move(ct));
    }
  }
  read_check_api_tls(r, t, a);
  if (!a.listen.empty() && a.tokens.empty() && a.tls_client_ca.empty()) {
    r.error_at(
        t.get("listen")->source(),
        "'check_api.listen' is set but neither 'check_api.tokens' nor 'check_api.tls_client_ca' is: TCP "
        "clients must present a token or a client certificate");
  }
}

void read_icap(SchemaReader& r, const toml::table& t, IcapConfig& c) {
  const std::string p = "icap";
  r.check_keys(t, p,
               {"listen", "service", "preview_bytes", "max_connections", "idle_timeout_s",
                "request_timeout_s", "block_page"});
  r.string(t, p, "listen", c.listen,
           [](const std::string& s) { return s.empty() ? Problem() : listen_address(s); });
  r.string(t, p, "service", c.service, [](const std::string& s) -> Problem {
    static const std::regex re(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)");
    if (std::regex_match(s, re)) return std::nullopt;
    return "must be a path segment of 1 to 64 letters, digits, '.', '_' or '-', got \"" + s + "\"";
  });
  r.integer(t, p, "preview_bytes", c.preview_bytes, 0, 1 << 20);
  r.integer(t, p, "max_connections", c.max_connections, 1, 100'000);
  r.integer(t, p, "idle_timeout_s", c.idle_timeout_s, 1, 86'400);
  r.integer(t, p, "request_timeout_s", c.request_timeout_s, 1, 3600);
  r.string(t, p, "block_page", c.block_page, absolute_path_or_empty);
}

void read_policy_rules(SchemaReader& r, const toml::table& t, const std::string& p, const std::string& key,
                       std::vector<PolicyRule>& out) {
  const auto* rules = r.table(t, p, key);
  if (rules == nullptr) return;
  const std::string q = p + "." + key;
  std::vector<PolicyRule> read;
  for (auto&& [name, value] : *rules) {
    PolicyRule rule;
    rule.name = std::string(name.str());
    r.enumeration_of(*rules, q, name.str(), rule.action, kVerdictNames);
    read.push_back(std::move(rule));
  }
  out = std::move(read);
}

void read_policy(SchemaReader& r, const toml::table& t, PolicyConfig& pc) {
  const std::string p = "policy";
  r.check_keys(t, p, {"default", "lists", "categories"});
  r.enumeration_of(t, p, "default", pc.default_action, kVerdictNames);
  read_policy_rules(r, t, p, "lists", pc.lists);
  read_policy_rules(r, t, p, "categories", pc.categories);
}

void read_root(SchemaReader& r, const toml::table& root, Config& c) {
  r.check_keys(root, "",
               {"appliance_id", "dataplane", "hashing", "paths", "feed", "reporting", "admin", "metrics",
                "check_api", "icap", "policy", "scan"});
  r.string(root, "", "appliance_id", c.appliance_id, appliance_id);
  if (const auto* t = r.table(root, "", "dataplane")) read_dataplane(r, *t, c.dataplane);
  if (const auto* t = r.table(root, "", "hashing")) read_hashing(r, *t, c.hashing);
  if (const auto* t = r.table(root, "", "paths")) read_paths(r, *t, c.paths);
  if (const auto* t = r.table(root, "", "feed")) read_feed(r, *t, c.feed);
  if (const auto* t = r.table(root, "", "reporting")) read_reporting(r, *t, c.reporting);
  if (const auto* t = r.table(root, "", "admin")) read_admin(r, *t, c.admin);
  if (const auto* t = r.table(root, "", "metrics")) read_metrics(r, *t, c.metrics);
  if (const auto* t = r.table(root, "", "check_api")) read_check_api(r, *t, c.check_api);
  if (const auto* t = r.table(root, "", "scan")) read_scan(r, *t, c.scan);
  if (const auto* t = r.table(root, "", "icap")) read_icap(r, *t, c.icap);
  if (const auto* t = r.table(root, "", "policy")) read_policy(r, *t, c.policy);
}

// Blanks 1-based line `line` in place (keeping the newline so later positions stay put). False if there is
// nothing left on that line to blank, i.e. recovery cannot make progress.
bool blank_line(std::string& text, std::uint32_t line) {
  std::size_t start = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string::npos) return false;
    ++start;
  }
  std::size_t end = text.find('\n', start);
  if (end == std::string::npos) end = text.size();
  if (end == start) return false;
  text.erase(start, end - start);
  return true;
}

}  // namespace

LoadResult load_config_text(std::string_view text, std::string_view file_name) {
  LoadResult result;
  const std::string file(file_name);
  if (text.size() > kMaxConfigBytes) {
    result.errors.push_back(ConfigError{file, 0, 0,
                                        "file is " + std::to_string(text.size()) + " bytes, more than the " +
                                            std::to_string(kMaxConfigBytes) + " a config file may have"});
    return result;
  }
  std::string work(text);
  std::optional<toml::table> root;
  for (int attempt = 0; attempt <= kMaxSyntaxErrors && !root; ++attempt) {
    try {
      root = toml::parse(std::string_view(work), std::string_view(file));
    } catch (const toml::parse_error& e) {
      const auto& at = e.source().begin;
      result.errors.push_back(ConfigError{file, at.line, at.column, std::string(e.description())});
      if (attempt == kMaxSyntaxErrors || at.line == 0 || !blank_line(work, at.line)) break;
    }
  }
  if (root) {
    SchemaReader reader(file, result.errors);
    read_root(reader, *root, result.config);
  }
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return result;
}

LoadResult load_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxConfigBytes) {
    LoadResult result;
    result.errors.push_back(ConfigError{path.string(), 0, 0,
                                        "file is " + std::to_string(size) + " bytes, more than the " +
                                            std::to_string(kMaxConfigBytes) + " a config file may have"});
    return result;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(
        ConfigError{path.string(), 0, 0,
                    "cannot read the file: " + std::error_code(errno, std::generic_category()).message()});
    return result;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), path.string());
}

}  // namespace dijk
