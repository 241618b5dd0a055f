#pragma once
// The verbs of a multi-command tool (dijkctl, dijk-hotline): dispatch, `help`, `VERB --help`, and a
// "did you mean" for mistyped verbs. Verbs may be two words ("sync now", "set show").
#include <functional>
#include <string>
#include <vector>

#include "config/cli/arg_parser.h"

namespace dijk::cli {

// Exit codes shared by every verb.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;   // e.g. a scan found hits
inline constexpr int kExitError = 2;   // runtime errors
inline constexpr int kExitUsage = 64;  // sysexits EX_USAGE

struct Verb {
  std::string name;     // "scan", or "sync now"
  std::string summary;  // one line for the verb list
  std::string usage;    // "scan [--json] --set SET PATH..."
  std::string description;
  std::vector<OptionSpec> options;
  std::function<int(const ParsedArgs&)> run;
};

class VerbTable {
 public:
  VerbTable(std::string program, std::string about)
      : program_(std::move(program)), about_(std::move(about)) {}
  void add(Verb verb) { verbs_.push_back(std::move(verb)); }
  int dispatch(int argc, char** argv) const;
  std::string overview() const;
  const std::vector<Verb>& verbs() const { return verbs_; }

 private:
  std::string verb_help(const Verb& v) const;
  // The two-word verbs whose first word is `first_word` ("config" -> config validate, config show...).
  std::vector<const Verb*> group(const std::string& first_word) const;
  std::string group_overview(const std::string& first_word) const;
  std::string program_;
  std::string about_;
  std::vector<Verb> verbs_;
};

}  // namespace dijk::cli
