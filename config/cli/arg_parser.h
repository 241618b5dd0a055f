#pragma once
// Command-line options for one verb: declared up front, so unknown options and missing values are
// refused with a precise message instead of being silently ignored.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dijk::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;  // "--set"
  bool takes_value = false;
  std::string help;
  std::string value_name = "VALUE";
};

class ParsedArgs {
 public:
  bool flag(const std::string& name) const { return values_.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
  // The value of an option the verb cannot do without; throws UsageError naming it.
  std::string required(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend class ArgParser;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

class ArgParser {
 public:
  explicit ArgParser(std::vector<OptionSpec> options) : options_(std::move(options)) {}
  // Accepts "--opt value", "--opt=value" and "--" to end options. Throws UsageError.
  ParsedArgs parse(const std::vector<std::string>& args) const;
  std::string options_help() const;

 private:
  const OptionSpec* find(const std::string& name) const;
  std::vector<OptionSpec> options_;
};

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);
// The closest candidate within a small distance, if any.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace dijk::cli
