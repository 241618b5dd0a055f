#include "config/schema/render.h"

#include <toml++/toml.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "config/schema/loader.h"

namespace dijk {
namespace {

template <typename T>
toml::array to_array(const std::vector<T>& values) {
  toml::array a;
  for (const auto& v : values) {
    if constexpr (std::is_integral_v<T>) {
      a.push_back(static_cast<std::int64_t>(v));
    } else {
      a.push_back(v);
    }
  }
  return a;
}

std::int64_t i64(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

toml::table rules_table(const std::vector<PolicyRule>& rules) {
  toml::table t;
  for (const auto& rule : rules) t.insert_or_assign(rule.name, verdict_name(rule.action));
  return t;
}

toml::table check_api_table(const CheckApiConfig& a) {
  toml::array tokens;
  for (const auto& tok : a.tokens)
    tokens.push_back(toml::table{{"name", tok.name}, {"token_file", tok.token_file}});
  toml::table client_names;
  for (const auto& [cn, name] : a.tls_client_names) client_names.insert_or_assign(cn, name);
  toml::table t{{"socket", a.socket},
                {"socket_group", a.socket_group},
                {"listen", a.listen},
                {"tokens", std::move(tokens)},
                {"max_body_mb", i64(a.max_body_mb)},
                {"rate_per_client", i64(a.rate_per_client)},
                {"header_timeout_s", i64(a.header_timeout_s)},
                {"idle_timeout_s", i64(a.idle_timeout_s)},
                {"threads", i64(a.threads)},
                {"max_connections", i64(a.max_connections)},
                {"max_hashes", i64(a.max_hashes)},
                {"journal", a.journal},
                {"metrics_listen", a.metrics_listen},
                {"tls_cert", a.tls_cert},
                {"tls_key", a.tls_key},
                {"tls_client_ca", a.tls_client_ca},
                {"tls_client_names", std::move(client_names)}};
  return t;
}

toml::table to_toml(const Config& c) {
  toml::array journals;
  for (const auto& j : c.reporting.journals)
    journals.push_back(toml::table{{"name", j.name}, {"dir", j.dir}});
  toml::array watched;
  for (const auto& w : c.scan.watch)
    watched.push_back(toml::table{{"path", w.path}, {"exclude", to_array(w.exclude)}});
  toml::array ports;
  for (const auto& p : c.dataplane.ports)
    ports.push_back(toml::table{{"name", p.name}, {"device", p.device}});
  const auto& d = c.dataplane;
  const auto& rep = c.reporting;
  toml::table out{
      {"appliance_id", c.appliance_id},
      {"dataplane", toml::table{{"mode", to_string(d.mode)},
                                {"lcores", to_array(d.lcores)},
                                {"http_ports", to_array(d.http_ports)},
                                {"ips", d.ips},
                                {"flow_table_cap", i64(d.flow_table_cap)},
                                {"reassembly_memory_mb", i64(d.reassembly_memory_mb)},
                                {"ports", std::move(ports)},
                                {"eal", toml::table{{"hugepages", d.eal.hugepages},
                                                    {"memory_mb", i64(d.eal.memory_mb)},
                                                    {"extra_args", to_array(d.eal.extra_args)}}}}},
      {"hashing", toml::table{{"algorithms", to_array(c.hashing.algorithms)},
                              {"pdq", c.hashing.pdq},
                              {"max_pixels", i64(c.hashing.max_pixels)},
                              {"max_file_size_mb", i64(c.hashing.max_file_size_mb)},
                              {"pdq_max_distance", i64(c.hashing.pdq_max_distance)},
                              {"digest_lanes", c.hashing.digest_lanes}}},
      {"paths", toml::table{{"set", c.paths.set}, {"journal", c.paths.journal}, {"state", c.paths.state}}},
      {"feed", toml::table{{"url", c.feed.url},
                           {"name", c.feed.name},
                           {"root_key", c.feed.root_key},
                           {"ca", c.feed.ca},
                           {"client_cert", c.feed.client_cert},
                           {"client_key", c.feed.client_key},
                           {"interval_s", i64(c.feed.interval_s)},
                           {"merge_overlay_at", i64(c.feed.merge_overlay_at)},
                           {"merge_pause_ratio", c.feed.merge_pause_ratio}}},
      {"reporting",
       toml::table{
           {"url", rep.url},
           {"client_cert", rep.client_cert},
           {"client_key", rep.client_key},
           {"ca", rep.ca},
           {"batch_size", i64(rep.batch_size)},
           {"alarm_after_s", i64(rep.alarm_after_s)},
           {"heartbeat_s", i64(rep.heartbeat_s)},
           {"privacy", toml::table{{"client_ip", std::string(field_policy_name(rep.privacy.client_ip))},
                                   {"url", std::string(field_policy_name(rep.privacy.url))},
                                   {"filename", std::string(field_policy_name(rep.privacy.filename))},
                                   {"hmac_key", rep.privacy.hmac_key}}}}},
      {"admin", toml::table{{"socket", c.admin.socket},
                            {"control_socket", c.admin.control_socket},
                            {"watch_socket", c.admin.watch_socket},
                            {"check_socket", c.admin.check_socket},
                            {"group", c.admin.group}}},
      {"metrics", toml::table{{"enabled", c.metrics.enabled},
                              {"listen", c.metrics.listen},
                              {"control_listen", c.metrics.control_listen},
                              {"watch_listen", c.metrics.watch_listen}}},
      {"check_api", check_api_table(c.check_api)},
      {"icap", toml::table{{"listen", c.icap.listen},
                           {"service", c.icap.service},
                           {"preview_bytes", i64(c.icap.preview_bytes)},
                           {"max_connections", i64(c.icap.max_connections)},
                           {"idle_timeout_s", i64(c.icap.idle_timeout_s)},
                           {"request_timeout_s", i64(c.icap.request_timeout_s)},
                           {"block_page", c.icap.block_page}}},
      {"policy", toml::table{{"default", verdict_name(c.policy.default_action)},
                             {"lists", rules_table(c.policy.lists)},
                             {"categories", rules_table(c.policy.categories)}}},
      {"scan", toml::table{{"journal", c.scan.journal},
                           {"settle_ms", i64(c.scan.settle_ms)},
                           {"backend", c.scan.backend},
                           {"checkpoint", c.scan.checkpoint},
                           {"catalog", c.scan.catalog}}},
  };
  if (!journals.empty()) out["reporting"].as_table()->insert("journals", std::move(journals));
  if (!watched.empty()) out["scan"].as_table()->insert("watch", std::move(watched));
  return out;
}

std::string value_text(const toml::node& n) {
  std::ostringstream out;
  n.visit([&](const auto& v) { out << toml::toml_formatter(v, toml::format_flags::none); });
  return out.str();
}

void flatten_into(const toml::table& t, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      flatten_into(*sub, key, out);
    } else {
      out.emplace_back(key, value_text(v));
    }
  }
}

// Keys (or key prefixes ending in '.') that a running daemon applies only at start.
constexpr std::string_view kRestartKeys[] = {
    "dataplane.eal.",
    "dataplane.ports",
    "dataplane.lcores",
    "dataplane.mode",
    "dataplane.ips",
    "dataplane.flow_table_cap",
    "dataplane.reassembly_memory_mb",
    "admin.",
    "metrics.",
    "check_api.",
    "icap.",
    "policy.",
    "scan.",
};

// 1-based line/column (columns in code points, as the parser counts them) to a byte offset.
std::size_t offset_of(std::string_view text, std::uint32_t line, std::uint32_t column) {
  std::size_t pos = 0;
  for (std::uint32_t l = 1; l < line && pos < text.size(); ++l) {
    const auto nl = text.find('\n', pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  for (std::uint32_t c = 1; c < column && pos < text.size() && text[pos] != '\n';) {
    ++pos;
    while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    ++c;
  }
  return pos;
}

std::string toml_quote(std::string_view s) {
  std::ostringstream out;
  out << toml::toml_formatter(toml::value<std::string>(std::string(s)), toml::format_flags::none);
  return out.str();
}

std::size_t end_of_line(std::string_view text, std::size_t pos) {
  const auto nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

// True if 1-based `line` is the header "[parent]" itself (not the header of a sub-table that made
// `parent` exist implicitly).
bool header_names(std::string_view text, std::uint32_t line, const std::string& parent) {
  const auto begin = offset_of(text, line, 1);
  auto header = text.substr(begin, end_of_line(text, begin) - begin);
  const auto first = header.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  header.remove_prefix(first);
  const std::string wanted = "[" + parent + "]";
  return header.starts_with(wanted);
}

}  // namespace

std::string render_toml(const Config& config) {
  std::ostringstream out;
  out << toml::toml_formatter(to_toml(config), toml::format_flags::indentation) << "\n";
  return out.str();
}

std::vector<std::pair<std::string, std::string>> flatten(const Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(to_toml(config), "", out);
  return out;
}

std::vector<std::string> changed_keys(const Config& old_config, const Config& new_config) {
  const auto a = flatten(old_config);
  const auto b = flatten(new_config);
  std::vector<std::string> changed;
  // Both come from the same schema, so they list the same keys in the same order.
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].second != b[i].second) changed.push_back(a[i].first);
  }
  return changed;
}

namespace {

bool key_matches(std::string_view pattern, std::string_view key) {
  return pattern.back() == '.' ? key.starts_with(pattern) : key == pattern;
}

// Every key (or section, ending in '.') some daemon reads only at its start, with how to keep its running
// value.
struct HeldBackKey {
  std::string_view key;
  void (*keep)(Config& next, const Config& running);
};
constexpr HeldBackKey kHeldBackKeys[] = {
    {"dataplane.eal.", [](Config& n, const Config& r) { n.dataplane.eal = r.dataplane.eal; }},
    {"dataplane.ports", [](Config& n, const Config& r) { n.dataplane.ports = r.dataplane.ports; }},
    {"dataplane.lcores", [](Config& n, const Config& r) { n.dataplane.lcores = r.dataplane.lcores; }},
    {"dataplane.mode", [](Config& n, const Config& r) { n.dataplane.mode = r.dataplane.mode; }},
    {"dataplane.ips", [](Config& n, const Config& r) { n.dataplane.ips = r.dataplane.ips; }},
    {"dataplane.flow_table_cap",
     [](Config& n, const Config& r) { n.dataplane.flow_table_cap = r.dataplane.flow_table_cap; }},
    {"dataplane.reassembly_memory_mb",
     [](Config& n, const Config& r) { n.dataplane.reassembly_memory_mb = r.dataplane.reassembly_memory_mb; }},
    {"admin.", [](Config& n, const Config& r) { n.admin = r.admin; }},
    {"metrics.", [](Config& n, const Config& r) { n.metrics = r.metrics; }},
    {"check_api.", [](Config& n, const Config& r) { n.check_api = r.check_api; }},
    {"icap.", [](Config& n, const Config& r) { n.icap = r.icap; }},
    {"policy.", [](Config& n, const Config& r) { n.policy = r.policy; }},
    {"scan.", [](Config& n, const Config& r) { n.scan = r.scan; }},
    {"appliance_id", [](Config& n, const Config& r) { n.appliance_id = r.appliance_id; }},
    {"dataplane.http_ports",
     [](Config& n, const Config& r) { n.dataplane.http_ports = r.dataplane.http_ports; }},
    {"hashing.algorithms", [](Config& n, const Config& r) { n.hashing.algorithms = r.hashing.algorithms; }},
    {"hashing.pdq", [](Config& n, const Config& r) { n.hashing.pdq = r.hashing.pdq; }},
    {"hashing.max_pixels", [](Config& n, const Config& r) { n.hashing.max_pixels = r.hashing.max_pixels; }},
    {"hashing.max_file_size_mb",
     [](Config& n, const Config& r) { n.hashing.max_file_size_mb = r.hashing.max_file_size_mb; }},
    {"hashing.pdq_max_distance",
     [](Config& n, const Config& r) { n.hashing.pdq_max_distance = r.hashing.pdq_max_distance; }},
    {"hashing.digest_lanes",
     [](Config& n, const Config& r) { n.hashing.digest_lanes = r.hashing.digest_lanes; }},
    {"paths.set", [](Config& n, const Config& r) { n.paths.set = r.paths.set; }},
    {"paths.journal", [](Config& n, const Config& r) { n.paths.journal = r.paths.journal; }},
    {"paths.state", [](Config& n, const Config& r) { n.paths.state = r.paths.state; }},
};

}  // namespace

RestartKeys all_restart_keys() {
  return RestartKeys(std::begin(kRestartKeys), std::end(kRestartKeys));
}

bool needs_restart(std::string_view key, const RestartKeys& keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](std::string_view pattern) { return key_matches(pattern, key); });
}

std::vector<std::string_view> held_back_keys() {
  std::vector<std::string_view> keys;
  for (const auto& h : kHeldBackKeys) keys.push_back(h.key);
  return keys;
}

std::vector<std::string> restart_required(const Config& old_config, const Config& new_config,
                                          const RestartKeys& keys) {
  std::vector<std::string> out;
  for (auto& k : changed_keys(old_config, new_config)) {
    if (needs_restart(k, keys)) out.push_back(std::move(k));
  }
  return out;
}

Config live_applicable(const Config& running, const Config& next, const RestartKeys& keys) {
  Config live = next;
  // A test checks that this changes nothing restart_required() lists, for every daemon's keys.
  for (const auto& h : kHeldBackKeys) {
    const bool held = std::any_of(keys.begin(), keys.end(), [&](std::string_view pattern) {
      return key_matches(pattern, h.key) || (h.key.back() == '.' && pattern.starts_with(h.key));
    });
    if (held) h.keep(live, running);
  }
  return live;
}

std::vector<std::string> settable_keys() {
  std::vector<std::string> keys;
  for (auto& [k, v] : flatten(Config{})) {
    if (k != "dataplane.ports") keys.push_back(k);
  }
  return keys;
}

std::optional<std::string> closest_key(std::string_view key) {
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (auto& k : settable_keys()) {
    const auto d = edit_distance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  if (best_distance > std::max<std::size_t>(2, key.size() / 4)) return std::nullopt;
  return best;
}

EditResult set_key_in_text(std::string_view text, std::string_view key, std::string_view value) {
  const auto keys = settable_keys();
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    std::string why = "unknown key '" + std::string(key) + "'";
    if (key == "dataplane.ports") {
      why = "'dataplane.ports' is a list of [[dataplane.ports]] tables: edit the file";
    } else if (key.starts_with("scan.watch")) {
      why = "'scan.watch' is a list of [[scan.watch]] tables: edit the file";
    } else if (key == "reporting.journals") {
      why = "'reporting.journals' is a list of [[reporting.journals]] tables: edit the file";
    } else if (auto near = closest_key(key)) {
      why += ", did you mean '" + *near + "'?";
    }
    return {"", why};
  }
  // A TOML value literal as given, else a string.
  std::string literal(value);
  try {
    const auto probe = toml::parse(std::string_view("v = " + literal + "\n"), std::string_view("value"));
    if (probe.size() != 1) literal = toml_quote(value);
  } catch (const toml::parse_error&) {
    literal = toml_quote(value);
  }

  toml::table doc;
  try {
    doc = toml::parse(text, std::string_view("config"));
  } catch (const toml::parse_error& e) {
    std::ostringstream why;
    why << "the config file does not parse (line " << e.source().begin.line << "): " << e.description();
    return {"", why.str()};
  }
  std::string out(text);
  const toml::node* existing = doc.at_path(key).node();
  if (existing != nullptr) {
    const auto& region = existing->source();
    if (region.begin.line == 0) return {"", "'" + std::string(key) + "' has no position in the file"};
    const auto begin = offset_of(text, region.begin.line, region.begin.column);
    const auto end = offset_of(text, region.end.line, region.end.column);
    out.replace(begin, end - begin, literal);
    return {out, ""};
  }
  const auto dot = key.rfind('.');
  const std::string parent(dot == std::string_view::npos ? "" : key.substr(0, dot));
  const std::string leaf(dot == std::string_view::npos ? key : key.substr(dot + 1));
  const std::string line = leaf + " = " + literal + "\n";
  if (parent.empty()) {
    // Root keys go before the first table header.
    std::size_t pos = 0;
    while (pos < out.size()) {
      const auto first = out.find_first_not_of(" \t", pos);
      if (first != std::string::npos && out[first] == '[') break;
      pos = end_of_line(out, pos);
    }
    if (pos == out.size() && !out.empty() && out.back() != '\n') out += '\n';
    out.insert(pos, line);
    return {out, ""};
  }
  const toml::node* table = doc.at_path(parent).node();
  if (table != nullptr && table->is_table() && table->source().begin.line != 0 &&
      header_names(out, table->source().begin.line, parent)) {
    // After the [parent] header line.
    const auto pos = end_of_line(out, offset_of(out, table->source().begin.line, 1));
    if (pos == out.size() && !out.empty() && out.back() != '\n') out += '\n';
    out.insert(std::min(pos, out.size()), line);
    return {out, ""};
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "\n[" + parent + "]\n" + line;
  return {out, ""};
}

}  // namespace dijk
