#include "config/cli/arg_parser.h"

#include <algorithm>

namespace dijk::cli {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  const auto [begin, end] = values_.equal_range(name);
  if (begin == end) return std::nullopt;
  return std::prev(end)->second;  // the last one given wins, as with most tools
}

std::string ParsedArgs::required(const std::string& name) const {
  auto v = value(name);
  if (!v) throw UsageError(name + " is required");
  return *v;
}

std::vector<std::string> ParsedArgs::values(const std::string& name) const {
  std::vector<std::string> out;
  const auto [begin, end] = values_.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

const OptionSpec* ArgParser::find(const std::string& name) const {
  for (const auto& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

ParsedArgs ArgParser::parse(const std::vector<std::string>& args) const {
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const OptionSpec* spec = find(name);
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const auto& o : options_) names.push_back(o.name);
      std::string msg = "unknown option " + name;
      if (auto near = closest(name, names)) msg += " (did you mean " + *near + "?)";
      throw UsageError(msg);
    }
    if (!spec->takes_value) {
      if (eq != std::string::npos) throw UsageError("option " + name + " takes no value");
      out.values_.emplace(name, "");
      continue;
    }
    if (eq != std::string::npos) {
      out.values_.emplace(name, a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      out.values_.emplace(name, args[++i]);
    } else {
      throw UsageError("option " + name + " needs a value (" + spec->value_name + ")");
    }
  }
  return out;
}

std::string ArgParser::options_help() const {
  std::string out;
  for (const auto& o : options_) {
    std::string left = "  " + o.name + (o.takes_value ? " " + o.value_name : "");
    if (left.size() < 26) left.resize(26, ' ');
    out += left + " " + o.help + "\n";
  }
  return out;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace dijk::cli
