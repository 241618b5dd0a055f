#include "config/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

namespace dijk::metrics {

bool valid_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

Registry::Owned& Registry::add(const std::string& name, const std::string& help, Labels labels, Type type) {
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name: " + name);
  std::lock_guard lock(mutex_);
  // Owned holds atomics (neither copyable nor movable): construct in place, then fill in. Not
  // emplace_back(name, ...): parenthesised aggregate init is C++20 that clang 14 (the fuzz preset) lacks.
  Owned& owned = owned_.emplace_back();
  owned.name = name;
  owned.help = help;
  owned.labels = std::move(labels);
  owned.type = type;
  return owned;
}

Counter& Registry::counter(const std::string& name, const std::string& help, Labels labels) {
  return add(name, help, std::move(labels), Type::kCounter).counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, Labels labels) {
  return add(name, help, std::move(labels), Type::kGauge).gauge;
}

void Registry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::vector<Sample> Registry::collect() const {
  std::vector<Sample> out;
  std::lock_guard lock(mutex_);
  for (const auto& o : owned_) {
    out.push_back(
        Sample{o.name, o.help, o.type, o.labels,
               o.type == Type::kCounter ? static_cast<double>(o.counter.value()) : o.gauge.value()});
  }
  for (const auto& c : collectors_) c(out);
  // Prometheus wants all samples of one name together.
  std::map<std::string, std::size_t> first_seen;
  for (std::size_t i = 0; i < out.size(); ++i) first_seen.emplace(out[i].name, i);
  std::stable_sort(out.begin(), out.end(),
                   [&](const Sample& a, const Sample& b) { return first_seen[a.name] < first_seen[b.name]; });
  return out;
}

namespace {

std::string escape(const std::string& s, bool quotes) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

}  // namespace

std::string render_prometheus(const std::vector<Sample>& samples) {
  std::string out;
  std::string last;
  for (const auto& s : samples) {
    if (s.name != last) {
      out += "# HELP " + s.name + " " + escape(s.help, false) + "\n";
      out += "# TYPE " + s.name + (s.type == Type::kCounter ? " counter\n" : " gauge\n");
      last = s.name;
    }
    out += s.name;
    if (!s.labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        if (i > 0) out += ',';
        out += s.labels[i].first + "=\"" + escape(s.labels[i].second, true) + "\"";
      }
      out += '}';
    }
    out += " " + number(s.value) + "\n";
  }
  return out;
}

nlohmann::json to_json(const std::vector<Sample>& samples) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : samples) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : s.labels) labels[k] = v;
    out.push_back({{"name", s.name},
                   {"type", s.type == Type::kCounter ? "counter" : "gauge"},
                   {"help", s.help},
                   {"labels", labels},
                   {"value", s.value}});
  }
  return out;
}

}  // namespace dijk::metrics
