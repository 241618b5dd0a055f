#include "config/cli/verb_table.h"

#include <cstdio>
#include <exception>
#include <iostream>

#include "config/cli/version.h"
#include "dataplane/events/json_text.h"

namespace dijk::cli {
namespace {

// A verb asked for --json (before any "--") promises JSON on stdout: its failures are JSON too.
bool wants_json(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "--json") return true;
  }
  return false;
}

// {"error": "...", "verb": "...", "exit": N[, "usage": "..."]}: one line on stdout, for scripts.
int json_failure(const std::string& verb, const std::string& message, int exit_code,
                 const std::string& usage = {}) {
  JsonObject o;
  o.add("error", message).add("verb", verb).add("exit", static_cast<std::uint64_t>(exit_code));
  if (!usage.empty()) o.add("usage", usage);
  std::cout << o.str() << "\n" << std::flush;
  return exit_code;
}

}  // namespace

std::string VerbTable::overview() const {
  std::string out = about_ + "\n\nUsage: " + program_ + " VERB [OPTIONS]\n\nVerbs:\n";
  for (const auto& v : verbs_) {
    std::string left = "  " + v.name;
    if (left.size() < 20) left.resize(20, ' ');
    out += left + " " + v.summary + "\n";
  }
  out += "\n'" + program_ + " VERB --help' tells more about one verb.\n";
  return out;
}

std::vector<const Verb*> VerbTable::group(const std::string& first_word) const {
  std::vector<const Verb*> out;
  for (const auto& v : verbs_) {
    if (v.name.starts_with(first_word + " ")) out.push_back(&v);
  }
  return out;
}

std::string VerbTable::group_overview(const std::string& first_word) const {
  std::string out = "Usage: " + program_ + " " + first_word + " VERB [OPTIONS]\n\nVerbs:\n";
  for (const Verb* v : group(first_word)) {
    std::string left = "  " + v->name;
    if (left.size() < 20) left.resize(20, ' ');
    out += left + " " + v->summary + "\n";
  }
  out += "\n'" + program_ + " " + first_word + " VERB --help' tells more about one verb.\n";
  return out;
}

std::string VerbTable::verb_help(const Verb& v) const {
  std::string out = "Usage: " + program_ + " " + v.usage + "\n\n" + v.summary + "\n";
  if (!v.description.empty()) out += "\n" + v.description + "\n";
  if (!v.options.empty()) out += "\nOptions:\n" + ArgParser(v.options).options_help();
  return out;
}

int VerbTable::dispatch(int argc, char** argv) const {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    if (args.size() >= 2 && args[0] == "help") {
      for (const auto& v : verbs_) {
        if (v.name == args[1] || (args.size() >= 3 && v.name == args[1] + " " + args[2])) {
          std::cout << verb_help(v);
          return kExitOk;
        }
      }
      if (!group(args[1]).empty()) {
        std::cout << group_overview(args[1]);
        return kExitOk;
      }
    }
    std::cout << overview();
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << program_ << " " << dijk_version() << "\n";
    return kExitOk;
  }
  // Two-word verbs first ("sync now"), then one-word verbs.
  const Verb* verb = nullptr;
  std::size_t consumed = 0;
  for (const auto& v : verbs_) {
    if (args.size() >= 2 && v.name == args[0] + " " + args[1]) {
      verb = &v;
      consumed = 2;
    }
  }
  for (const auto& v : verbs_) {
    if (verb == nullptr && v.name == args[0]) {
      verb = &v;
      consumed = 1;
    }
  }
  if (verb == nullptr && !group(args[0]).empty()) {
    // "dijkctl config": the verbs of that group. Alone (or followed by options) it is a question; with a
    // word that is no verb of the group it is a usage error.
    const bool asked = args.size() == 1 || args[1].starts_with("-");  // no verb: `config --config F`
    if (asked) {
      std::cout << group_overview(args[0]);
      return kExitOk;
    }
    std::cerr << program_ << ": unknown verb '" << args[0] << " " << args[1] << "'\n"
              << group_overview(args[0]);
    return kExitUsage;
  }
  if (verb == nullptr) {
    std::vector<std::string> names;
    for (const auto& v : verbs_) names.push_back(v.name);
    std::string msg = program_ + ": unknown verb '" + args[0] + "'";
    const std::string attempt = args.size() >= 2 ? args[0] + " " + args[1] : args[0];
    if (auto near = closest(attempt, names)) {
      msg += " (did you mean '" + *near + "'?)";
    } else if (auto near1 = closest(args[0], names)) {
      msg += " (did you mean '" + *near1 + "'?)";
    }
    std::cerr << msg << "\nRun '" << program_ << " help' for the list of verbs.\n";
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(consumed), args.end());
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      std::cout << verb_help(*verb);
      return kExitOk;
    }
    if (a == "--") break;
  }
  try {
    const ParsedArgs parsed = ArgParser(verb->options).parse(rest);
    return verb->run(parsed);
  } catch (const UsageError& e) {
    if (wants_json(rest)) return json_failure(verb->name, e.what(), kExitUsage, program_ + " " + verb->usage);
    std::cerr << program_ << " " << verb->name << ": " << e.what() << "\nUsage: " << program_ << " "
              << verb->usage << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    if (wants_json(rest)) return json_failure(verb->name, e.what(), kExitError);
    std::cerr << program_ << " " << verb->name << ": " << e.what() << "\n";
    return kExitError;
  }
}

}  // namespace dijk::cli
